fn main() {
    let search = msgraph_codegen::config::InputSearch {
        env_dir: std::env::var_os("GRAPH_METADATA_DIR").map(Into::into),
        ..Default::default()
    };
    let loaded = msgraph_codegen::load(std::path::Path::new("metadata/codegen.yaml"), &search).unwrap();
    for api in &loaded.apis {
        eprintln!("{} ops {} types {} unresolved {} skipped {}", api.api_version, api.operations.len(), api.types.len(), api.unresolved.len(), api.skipped_grants.len());
        for o in &api.operations { eprintln!("  {:6} {} {:?} {:?}", o.http_method.as_str(), o.template, o.kind, o.sources); }
        for u in &api.unresolved { eprintln!("  UNRESOLVED {} {}: {}", u.http_method, u.path, u.reason); }
        for u in &api.skipped_grants { eprintln!("  skipped {} {}: {}", u.http_method, u.path, u.reason); }
    }
}

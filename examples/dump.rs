//! Prints every event of a capture with its parameters: `cargo run --example dump FILE`.
use peregrine::capture::file::FileReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: dump FILE")?;
    let mut r = FileReader::open(path)?;
    let md = r.metadata();
    eprintln!(
        "threads {} fd lists {} users {} groups {} ifaces {}/{}",
        md.threads.len(),
        md.fd_lists.len(),
        md.users.len(),
        md.groups.len(),
        md.ipv4_interfaces.len(),
        md.ipv6_interfaces.len()
    );
    while let Some(e) = r.next_event()? {
        println!("{} cpu={} flags={} {:?}", e.number, e.cpu, e.flags, e.event);
    }
    Ok(())
}

//! Reads a capture and decodes every parameter:
//! `cargo run --release --example readall [--no-read-ahead] FILE`.
use peregrine::capture::file::{FileReader, ReadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = ReadOptions::default();
    if let Some(i) = args.iter().position(|a| a == "--no-read-ahead") {
        options.read_ahead = false;
        args.remove(i);
    }
    let path = args
        .first()
        .ok_or("usage: readall [--no-read-ahead] FILE")?;
    let mut r = FileReader::open_with(path, options)?;
    let (mut events, mut params) = (0u64, 0u64);
    while let Some(e) = r.next_event()? {
        events += 1;
        // `black_box` keeps each decoded value alive, so that no decoding is optimized away.
        params += e
            .event
            .params()
            .filter(|p| std::hint::black_box(&p.value()).is_ok())
            .count() as u64;
    }
    println!("{events} events, {params} params");
    Ok(())
}

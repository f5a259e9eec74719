//! Reads a capture and decodes every parameter: `cargo run --release --example readall FILE`.
use peregrine::capture::file::FileReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: readall FILE")?;
    let mut r = FileReader::open(path)?;
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

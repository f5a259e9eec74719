#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets (see docs/FUZZING.md) from the reference
captures beside the checkout and from the tests, into a git-ignored directory.

    fuzz_seeds.py REPO OUT

OUT/file_reader    each capture as it is, decompressed, and cut short (its metadata and
                   first events), so that the fuzzer starts from every block type and
                   version, plain and gzip
OUT/event_decoder  single raw events, a few of each event type, old-format ones widened
                   to the current header
OUT/filter         the filter strings of tests/filter_diff.rs and of the filter unit tests
OUT/format         the format strings of the differential tests
OUT/rules          the rules files of tests/falco-regression and tests/rules
plus the hand-made seeds of fuzz/seeds/TARGET/. Files are named by the SHA-1 of their
content, as libFuzzer names what it adds, so running this again adds nothing twice.
"""

import gzip
import hashlib
import re
import struct
import sys
from pathlib import Path

EVENT_V1 = {0x204, 0x208, 0x8010ABCD}
EVENT_V2 = {0x216, 0x217, 0x221, 0x222}
WITH_FLAGS = {0x208, 0x217, 0x222}
EVENTS_PER_TYPE = 3
CUT_EVENTS = 40


def put(out: Path, data: bytes) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


def blocks(data: bytes):
    """(type, start, end) of each block, until the first one that does not fit."""
    at = 0
    while at + 8 <= len(data):
        ty, total = struct.unpack_from("<II", data, at)
        if total < 12 or at + total > len(data):
            return
        yield ty, at, at + total
        at += total


def widen_v1(ev: bytes):
    """An old-format event (22-byte header, no parameter count) in the current layout: the
    largest parameter count whose lengths add up to the event's length."""
    if len(ev) < 22:
        return None
    length = struct.unpack_from("<I", ev, 16)[0]
    if length > len(ev) or length < 22:
        return None
    body = ev[22:length]
    for n in range(min(32, len(body) // 2), -1, -1):
        lens = struct.unpack_from(f"<{n}H", body, 0)
        if 2 * n + sum(lens) == len(body):
            new_len = length + 4
            return (ev[:16] + struct.pack("<I", new_len) + ev[20:22] + struct.pack("<I", n)
                    + body)
    return None


def captures(repo: Path, out: Path) -> None:
    # The captures kept in the repository, and the shared ones beside it where there.
    shared = repo.parent / "shared" / "captures"
    files = sorted(repo.joinpath("tests", "captures").glob("*.scap"))
    kept = {f.name for f in files}
    if shared.is_dir():
        files += sorted(f for f in shared.glob("*.scap") if f.name not in kept)
    per_type = {}
    for f in files:
        raw = f.read_bytes()
        put(out / "file_reader", raw)
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        if data is not raw:
            put(out / "file_reader", data)
        events = 0
        for ty, start, end in blocks(data):
            if ty in EVENT_V1 or ty in EVENT_V2:
                events += 1
                if events == CUT_EVENTS:
                    put(out / "file_reader", data[:end])
                pre = 8 + 2 + (4 if ty in WITH_FLAGS else 0)
                ev = data[start + pre:end - 4]
                if ty in EVENT_V1:
                    ev = widen_v1(ev)
                    if ev is None:
                        continue
                if len(ev) < 26:
                    continue
                length = struct.unpack_from("<I", ev, 16)[0]
                etype = struct.unpack_from("<H", ev, 20)[0]
                if per_type.get(etype, 0) < EVENTS_PER_TYPE:
                    per_type[etype] = per_type.get(etype, 0) + 1
                    put(out / "event_decoder", ev[:length])


RUST_STR = re.compile(r'r#"((?:[^"]|"(?!#))*)"#|"((?:[^"\\]|\\.)*)"')


def rust_strings(text: str):
    for m in RUST_STR.finditer(text):
        if m.group(1) is not None:
            yield m.group(1)
        else:
            s = m.group(2)
            s = re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
                       .get(e.group(1), e.group(1)), s)
            yield s


def filters(repo: Path, out: Path) -> None:
    text = (repo / "tests/filter_diff.rs").read_text()
    for s in rust_strings(text):
        # Filter strings have a field name with a dot; messages and paths are left out.
        if re.match(r"^(not |\(|[a-z_]+\()*\s*[a-z]+\.[a-z]", s) and len(s) < 400:
            put(out / "filter", s.encode())
    for name in ["src/filter/mod.rs", "src/filter/parse.rs"]:
        text = (repo / name).read_text()
        for m in re.finditer(r'(?:compile|parse|err|matches\w*|types)\(\s*(r#"(?:[^"]|"(?!#))*"#|"(?:[^"\\]|\\.)*")',
                             text):
            for s in rust_strings(m.group(1)):
                put(out / "filter", s.encode())


def formats(repo: Path, out: Path) -> None:
    for name in ["tests/state_diff.rs", "tests/output_diff.rs", "tests/sysdig_diff.rs",
                 "tests/common/mod.rs", "src/main.rs"]:
        path = repo / name
        if not path.exists():
            continue
        for s in rust_strings(path.read_text()):
            if "%" in s and len(s) < 400:
                put(out / "format", s.encode())


def rules(repo: Path, out: Path) -> None:
    for d in [repo / "tests/falco-regression", repo / "tests/rules"]:
        for f in sorted(d.rglob("*.yaml")):
            data = f.read_bytes()
            # The fuzzer's inputs are cut at 8 KiB; a longer file seeds its first part.
            put(out / "rules", data[:8192])


def hand_made(repo: Path, out: Path) -> None:
    seeds = repo / "fuzz" / "seeds"
    for d in sorted(p for p in seeds.iterdir() if p.is_dir()) if seeds.is_dir() else []:
        for f in sorted(d.iterdir()):
            if f.is_file():
                put(out / d.name, f.read_bytes())


def main() -> None:
    repo, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    captures(repo, out)
    filters(repo, out)
    formats(repo, out)
    rules(repo, out)
    hand_made(repo, out)
    for d in sorted(out.iterdir()):
        files = list(d.iterdir())
        size = sum(f.stat().st_size for f in files)
        print(f"{d.name}: {len(files)} inputs, {size} bytes")


if __name__ == "__main__":
    main()

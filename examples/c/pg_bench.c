/*
 * pg_bench: reads a capture through the C ABI and extracts three fields of every event
 * (proc.name, fd.name, evt.type), as the benchmark benches/capi.rs times it against the same
 * loop in Rust. Usage: pg_bench FILE; prints the number of events read.
 */
#include <stdio.h>

#include "peregrine.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pg_bench FILE\n");
		return 2;
	}
	const char *names[3] = { "proc.name", "fd.name", "evt.type" };
	pg_field *fields[3] = { 0 };
	pg_options *opts = NULL;
	pg_inspector *insp = NULL;
	int rc = 1;
	if (pg_options_new(&opts) != PG_OK || pg_options_file(opts, argv[1]) != PG_OK ||
	    pg_open(opts, &insp) != PG_OK)
		goto out;
	for (int f = 0; f < 3; f++)
		if (pg_field_compile(names[f], &fields[f]) != PG_OK)
			goto out;
	unsigned long long events = 0, bytes = 0;
	const pg_event *ev;
	pg_status st;
	while ((st = pg_next(insp, &ev)) == PG_OK) {
		events++;
		for (int f = 0; f < 3; f++) {
			const char *text;
			size_t len;
			if (pg_field_text(fields[f], ev, &text, &len) == PG_OK)
				bytes += len;
		}
	}
	if (st != PG_END)
		goto out;
	printf("%llu %llu\n", events, bytes);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "pg_bench: %s\n", pg_last_error());
	for (int f = 0; f < 3; f++)
		pg_field_free(fields[f]);
	pg_close(insp);
	pg_options_free(opts);
	return rc;
}

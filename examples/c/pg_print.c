/*
 * pg_print: prints chosen fields of the events a filter keeps, from a capture file or live,
 * through Peregrine's C ABI. Usage:
 *
 *     pg_print [-f FILTER] [-a] [-n COUNT] SOURCE FIELD...
 *
 * SOURCE is a capture file, or `live` for this machine (as root). Each event prints its
 * fields separated by spaces, as `peregrine -r SOURCE -p "%FIELD %FIELD..." FILTER` does:
 * an event for which a field does not apply is skipped, or with -a printed with <NA> (as
 * `-p "*..."`). -n stops after COUNT events. Internal events are not shown (as without -D).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peregrine.h"

static int die(const char *what)
{
	fprintf(stderr, "pg_print: %s: %s\n", what, pg_last_error());
	return 1;
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int all = 0;
	long count = -1;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			filter = argv[++i];
		else if (strcmp(argv[i], "-a") == 0)
			all = 1;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			count = atol(argv[++i]);
		else
			break;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: pg_print [-f FILTER] [-a] [-n COUNT] SOURCE FIELD...\n");
		return 2;
	}
	const char *source = argv[i++];
	int nfields = argc - i;

	pg_options *opts;
	if (pg_options_new(&opts) != PG_OK)
		return die("options");
	pg_status st = strcmp(source, "live") == 0 ? pg_options_live(opts)
						   : pg_options_file(opts, source);
	if (st == PG_OK && filter)
		st = pg_options_filter(opts, filter);
	if (st != PG_OK) {
		pg_options_free(opts);
		return die("options");
	}
	pg_inspector *insp;
	st = pg_open(opts, &insp);
	pg_options_free(opts);
	if (st != PG_OK)
		return die(source);

	pg_field **fields = calloc(nfields, sizeof(*fields));
	for (int f = 0; f < nfields; f++) {
		if (pg_field_compile(argv[i + f], &fields[f]) != PG_OK) {
			int rc = die(argv[i + f]);
			for (int g = 0; g < f; g++)
				pg_field_free(fields[g]);
			free(fields);
			pg_close(insp);
			return rc;
		}
	}

	const char **texts = calloc(nfields, sizeof(*texts));
	const pg_event *ev;
	int rc = 0;
	while (count != 0 && (st = pg_next(insp, &ev)) == PG_OK) {
		if (!pg_event_shown_by_default(ev))
			continue;
		int complete = 1;
		for (int f = 0; f < nfields; f++) {
			size_t len;
			pg_status fs = pg_field_text(fields[f], ev, &texts[f], &len);
			if (fs == PG_NO_VALUE) {
				texts[f] = "<NA>";
				complete = 0;
			} else if (fs != PG_OK) {
				rc = die(argv[i + f]);
				goto out;
			}
		}
		if (!complete && !all)
			continue;
		for (int f = 0; f < nfields; f++)
			printf("%s%s", f ? " " : "", texts[f]);
		putchar('\n');
		if (count > 0)
			count--;
	}
	if (st < 0)
		rc = die("reading");
out:
	for (int f = 0; f < nfields; f++)
		pg_field_free(fields[f]);
	free(fields);
	free(texts);
	pg_close(insp);
	return rc;
}

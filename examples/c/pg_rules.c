/*
 * pg_rules: raises Falco alerts from a capture file or live, through Peregrine's C ABI.
 * Usage:
 *
 *     pg_rules [-j] SOURCE RULES_FILE...
 *
 * SOURCE is a capture file, or `live` for this machine (as root; the kernel is asked only
 * for the syscalls the rules need). Each alert prints as `peregrine rules -r RULES_FILE -e
 * SOURCE` prints it (-j: as JSON, with ISO 8601 times), then `Events detected: N`.
 */
#include <stdio.h>
#include <string.h>

#include "peregrine.h"

static int die(const char *what)
{
	fprintf(stderr, "pg_rules: %s: %s\n", what, pg_last_error());
	return 1;
}

int main(int argc, char **argv)
{
	int json = 0;
	int i = 1;
	if (i < argc && strcmp(argv[i], "-j") == 0) {
		json = 1;
		i++;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: pg_rules [-j] SOURCE RULES_FILE...\n");
		return 2;
	}
	const char *source = argv[i++];

	pg_rules *rules;
	if (pg_rules_load((const char *const *)&argv[i], (size_t)(argc - i), &rules) != PG_OK)
		return die("rules");

	pg_options *opts;
	if (pg_options_new(&opts) != PG_OK) {
		pg_rules_free(rules);
		return die("options");
	}
	pg_status st;
	if (strcmp(source, "live") == 0) {
		st = pg_options_live(opts);
		const char *pushdown = pg_rules_pushdown(rules);
		if (st == PG_OK && pushdown)
			st = pg_options_filter(opts, pushdown);
	} else {
		st = pg_options_file(opts, source);
	}
	pg_inspector *insp = NULL;
	if (st == PG_OK)
		st = pg_open(opts, &insp);
	pg_options_free(opts);
	if (st != PG_OK) {
		pg_rules_free(rules);
		return die("open");
	}

	unsigned long detected = 0;
	const pg_event *ev;
	while ((st = pg_next(insp, &ev)) == PG_OK) {
		const pg_rule *rule;
		if (pg_rules_match(rules, ev, &rule) != PG_OK)
			break;
		if (!rule)
			continue;
		const char *text;
		size_t len;
		if (pg_rules_alert(rules, rule, ev, json, &text, &len) != PG_OK)
			break;
		fwrite(text, 1, len, stdout);
		fputc('\n', stdout);
		detected++;
	}
	int failed = st != PG_END;
	if (failed)
		fprintf(stderr, "pg_rules: events: %s\n", pg_last_error());
	printf("Events detected: %lu\n", detected);
	pg_close(insp);
	pg_rules_free(rules);
	return failed;
}

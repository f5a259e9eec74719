// pg_print in C++: the same program as examples/c/pg_print.c, over the RAII wrapper
// peregrine.hpp. Usage: pg_print_cpp [-f FILTER] [-a] SOURCE FIELD...
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "peregrine.hpp"

int main(int argc, char **argv)
{
	std::string filter;
	bool all = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (std::strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			filter = argv[++i];
		else if (std::strcmp(argv[i], "-a") == 0)
			all = true;
		else
			break;
	}
	if (argc - i < 2) {
		std::cerr << "usage: pg_print_cpp [-f FILTER] [-a] SOURCE FIELD...\n";
		return 2;
	}
	try {
		peregrine::inspector insp(argv[i++], filter);
		std::vector<peregrine::field> fields;
		for (; i < argc; i++)
			fields.emplace_back(argv[i]);
		std::string line;
		while (const pg_event *ev = insp.next()) {
			if (!pg_event_shown_by_default(ev))
				continue;
			line.clear();
			bool complete = true;
			for (size_t f = 0; f < fields.size(); f++) {
				auto t = fields[f].text(ev);
				if (f)
					line += ' ';
				line += t ? *t : "<NA>";
				complete &= t.has_value();
			}
			if (complete || all)
				std::cout << line << '\n';
		}
	} catch (const peregrine::error &e) {
		std::cerr << "pg_print_cpp: " << e.what() << '\n';
		return 1;
	}
	return 0;
}

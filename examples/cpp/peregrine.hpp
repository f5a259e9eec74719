// A small RAII wrapper over Peregrine's C ABI (include/peregrine.h) for C++17: each handle
// is freed by its destructor, and a failing call throws peregrine::error with the
// library's message.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "peregrine.h"

namespace peregrine {

struct error : std::runtime_error {
	pg_status status;
	error(pg_status s, const std::string &what)
		: std::runtime_error(what + ": " + pg_last_error()), status(s)
	{
	}
};

inline void check(pg_status s, const char *what)
{
	if (s < 0)
		throw error(s, what);
}

// What a field gives for an event: its text, or nothing when it does not apply.
class field {
	std::unique_ptr<pg_field, decltype(&pg_field_free)> f_{nullptr, pg_field_free};

public:
	explicit field(const std::string &name)
	{
		pg_field *f = nullptr;
		check(pg_field_compile(name.c_str(), &f), name.c_str());
		f_.reset(f);
	}
	// Valid until this field's next call or the next event.
	std::optional<std::string_view> text(const pg_event *ev)
	{
		const char *t = nullptr;
		size_t len = 0;
		pg_status s = pg_field_text(f_.get(), ev, &t, &len);
		check(s, "pg_field_text");
		if (s == PG_NO_VALUE)
			return std::nullopt;
		return std::string_view(t, len);
	}
};

// An open source: a capture file, or the live machine.
class inspector {
	std::unique_ptr<pg_inspector, decltype(&pg_close)> i_{nullptr, pg_close};

public:
	// `source` is a capture file's path, or "live".
	inspector(const std::string &source, const std::string &filter = "")
	{
		std::unique_ptr<pg_options, decltype(&pg_options_free)> o{nullptr, pg_options_free};
		pg_options *raw = nullptr;
		check(pg_options_new(&raw), "pg_options_new");
		o.reset(raw);
		check(source == "live" ? pg_options_live(raw) : pg_options_file(raw, source.c_str()),
		      source.c_str());
		if (!filter.empty())
			check(pg_options_filter(raw, filter.c_str()), "filter");
		pg_inspector *i = nullptr;
		check(pg_open(raw, &i), source.c_str());
		i_.reset(i);
	}
	// The next event (valid until the next call), or null at the end.
	const pg_event *next()
	{
		const pg_event *ev = nullptr;
		pg_status s = pg_next(i_.get(), &ev);
		check(s, "pg_next");
		return s == PG_OK ? ev : nullptr;
	}
	// Safe from another thread or a signal handler.
	void stop() { pg_stop(i_.get()); }
};

} // namespace peregrine

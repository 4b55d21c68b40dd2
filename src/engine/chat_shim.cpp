// A C boundary over llama.cpp's own chat support (common/chat.h), which llama-cpp-2 does not
// bind: the model's Jinja chat template rendered with tools and a JSON schema, the grammar and
// lazy-grammar triggers that make a model's tool calls and JSON well-formed, and the parser that
// reads a model's tool-call syntax back. Everything crosses as JSON text; every C++ exception is
// caught here and returned as an error message, never unwound into Rust.
//
// Ownership: strings returned through `out` are malloc'd and freed with llp_free; handles are
// freed with their own _free function.

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "chat.h"
#include "common.h"
#include "json-schema-to-grammar.h"
#include "llama.h"

using json = common_json;

namespace {

char * dup(const std::string & s) {
    char * p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p) {
        std::memcpy(p, s.data(), s.size());
        p[s.size()] = '\0';
    }
    return p;
}

// Returns 0 with *out set to the result, or 1 with *out set to the error's message.
template <typename F> int guarded(char ** out, F && f) {
    try {
        *out = dup(f());
        return 0;
    } catch (const std::exception & e) {
        *out = dup(e.what());
    } catch (...) {
        *out = dup("unknown error in llama.cpp's chat support");
    }
    return 1;
}

json msg_to_json(const common_chat_msg & m) {
    json calls = json::array();
    for (const auto & c : m.tool_calls) {
        calls.push_back({ { "name", c.name }, { "arguments", c.arguments }, { "id", c.id } });
    }
    return {
        { "content", m.content },
        { "reasoning_content", m.reasoning_content },
        { "tool_calls", calls },
    };
}

}  // namespace

struct llp_chat {
    common_chat_templates_ptr tmpls;
};

struct llp_chat_parser {
    common_chat_parser_params params;
};

extern "C" {

void llp_free(char * p) {
    std::free(p);
}

// Templates from a source (a Jinja template, or a name llama.cpp knows such as "chatml"; never
// empty) with the model's BOS and EOS texts. NULL with *err on failure.
llp_chat * llp_chat_init(const char * src, const char * bos, const char * eos, char ** err) {
    *err = nullptr;
    try {
        if (!src || !*src) {
            throw std::invalid_argument("no chat template source");
        }
        auto c   = std::make_unique<llp_chat>();
        c->tmpls = common_chat_templates_init(nullptr, src, bos ? bos : "", eos ? eos : "");
        return c.release();
    } catch (const std::exception & e) {
        *err = dup(e.what());
    } catch (...) {
        *err = dup("unknown error reading the chat template");
    }
    return nullptr;
}

void llp_chat_free(llp_chat * c) {
    delete c;
}

// {"supports_tools": bool, "supports_tool_calls": bool, ...} and "source": the template text.
int llp_chat_caps(const llp_chat * c, char ** out) {
    return guarded(out, [&] {
        json j = json::object();
        for (const auto & [k, v] : common_chat_templates_get_caps(c->tmpls.get())) {
            j[k] = v;
        }
        j["source"] = common_chat_templates_source(c->tmpls.get());
        return j.dump();
    });
}

// request: {"messages": [OpenAI messages], "tools": [OpenAI tools] (optional), "tool_choice":
// "auto"|"required"|"none", "parallel_tool_calls": bool, "json_schema": schema (optional)}.
// result: the rendered prompt, the grammar (empty for none) and how it starts (lazy, with its
// trigger patterns and tokens), the tokens to keep as text, extra stop words, and what the
// parser needs ("format", "generation_prompt", "parser").
int llp_chat_apply(const llp_chat * c, const char * request, char ** out) {
    return guarded(out, [&] {
        const json                   req = json::parse(request);
        common_chat_templates_inputs in;
        in.messages              = common_chat_msgs_parse_oaicompat(req.at("messages"));
        in.add_generation_prompt = true;
        in.use_jinja             = true;
        if (req.contains("tools") && !req.at("tools").is_null()) {
            in.tools = common_chat_tools_parse_oaicompat(req.at("tools"));
        }
        if (req.contains("tool_choice")) {
            in.tool_choice = common_chat_tool_choice_parse_oaicompat(req.at("tool_choice").get<std::string>());
        }
        in.parallel_tool_calls = req.value("parallel_tool_calls", false);
        if (req.contains("json_schema") && !req.at("json_schema").is_null()) {
            in.json_schema = req.at("json_schema").dump();
        }
        in.reasoning_format = COMMON_REASONING_FORMAT_NONE;
        in.enable_thinking  = false;

        const auto p = common_chat_templates_apply(c->tmpls.get(), in);

        // Trigger patterns as llama.cpp's own sampler builds them (common/sampling.cpp).
        json patterns = json::array();
        json tokens   = json::array();
        for (const auto & t : p.grammar_triggers) {
            switch (t.type) {
                case COMMON_GRAMMAR_TRIGGER_TYPE_WORD:
                    patterns.push_back(regex_escape(t.value));
                    break;
                case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN:
                    patterns.push_back(t.value);
                    break;
                case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL: {
                    std::string anchored = "^$";
                    if (!t.value.empty()) {
                        anchored = (t.value.front() != '^' ? "^" : "") + t.value + (t.value.back() != '$' ? "$" : "");
                    }
                    patterns.push_back(anchored);
                    break;
                }
                case COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN:
                    tokens.push_back(t.token);
                    break;
            }
        }
        json r = {
            { "prompt", p.prompt },
            { "grammar", p.grammar },
            { "grammar_lazy", p.grammar_lazy },
            { "trigger_patterns", patterns },
            { "trigger_tokens", tokens },
            { "preserved_tokens", p.preserved_tokens },
            { "additional_stops", p.additional_stops },
            { "format", static_cast<int>(p.format) },
            { "format_name", common_chat_format_name(p.format) },
            { "generation_prompt", p.generation_prompt },
            { "parser", p.parser },
        };
        return r.dump();
    });
}

// A parser from an apply result's "format", "generation_prompt" and "parser".
llp_chat_parser * llp_chat_parser_new(const char * params, char ** err) {
    *err = nullptr;
    try {
        const json j         = json::parse(params);
        auto       p         = std::make_unique<llp_chat_parser>();
        p->params.format     = static_cast<common_chat_format>(j.at("format").get<int>());
        p->params.generation_prompt = j.at("generation_prompt").get<std::string>();
        p->params.reasoning_format  = COMMON_REASONING_FORMAT_NONE;
        p->params.parse_tool_calls  = true;
        const auto & src            = j.at("parser").get<std::string>();
        if (!src.empty()) {
            p->params.parser.load(src);
        }
        return p.release();
    } catch (const std::exception & e) {
        *err = dup(e.what());
    } catch (...) {
        *err = dup("unknown error building the chat parser");
    }
    return nullptr;
}

void llp_chat_parser_free(llp_chat_parser * p) {
    delete p;
}

// The message in `text` (the generated text so far; `partial` while it may go on):
// {"content", "reasoning_content", "tool_calls": [{"name", "arguments", "id"}]}.
int llp_chat_parse(const llp_chat_parser * p, const char * text, size_t len, bool partial, char ** out) {
    return guarded(out, [&] {
        return msg_to_json(common_chat_parse(std::string(text, len), partial, p->params)).dump();
    });
}

// The GBNF grammar of a JSON schema.
int llp_json_schema_grammar(const char * schema, char ** out) {
    return guarded(out, [&] { return json_schema_to_grammar(json::parse(schema), true); });
}

}  // extern "C"

"""The official `ollama` package against an llp node: list, show, chat and generate (streamed
and not), JSON format, tool calls and embeddings, through Ollama's routes.

Usage: python3 ollama_client.py HOST   (HOST like http://127.0.0.1:8686)
Exits non-zero, saying what failed, on the first failure.
"""

import json
import math
import sys

import ollama

TOOLS_MODEL = "qwen2.5-coder-0.5b-instruct"
CHAT_MODEL = "smollm2-135m-instruct"
EMBED_MODEL = "all-minilm-l6-v2"


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def get_weather(city: str) -> str:
    """The current weather in a city.

    Args:
      city: the city's name
    """
    return "sunny"


def main():
    client = ollama.Client(host=sys.argv[1], timeout=300)
    names = [m.model for m in client.list().models]
    check(any(n.startswith(CHAT_MODEL) for n in names), f"list: {names}")
    shown = client.show(TOOLS_MODEL)
    check("tools" in (shown.capabilities or []), f"show: {shown.capabilities}")

    r = client.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "Say hello."}],
                    options={"temperature": 0, "num_predict": 12})
    check(r.done and r.message.role == "assistant" and r.message.content, f"chat: {r.message.content!r}")
    check(r.eval_count and r.eval_count <= 12 and r.prompt_eval_count, f"chat counts {r.eval_count}/{r.prompt_eval_count}")

    parts = list(client.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "Say hello."}],
                             options={"temperature": 0, "num_predict": 12}, stream=True))
    text = "".join(p.message.content for p in parts)
    check(parts[-1].done and len(parts) > 2, f"streamed chat in {len(parts)} lines")
    check(text == r.message.content, "streamed chat says what the whole one says")

    g = client.generate(model=CHAT_MODEL, prompt="Name a colour.", options={"temperature": 0, "num_predict": 8})
    check(g.done and g.response, f"generate: {g.response!r}")
    gs = list(client.generate(model=CHAT_MODEL, prompt="Name a colour.", stream=True,
                              options={"temperature": 0, "num_predict": 8}))
    check("".join(p.response for p in gs) == g.response, "streamed generate says the same")

    j = client.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "Reply with JSON holding a person's name."}],
                    format={"type": "object", "properties": {"name": {"type": "string", "maxLength": 40}}, "required": ["name"]},
                    options={"num_predict": 200, "temperature": 0})
    check(j.done_reason == "stop", f"format schema output ends ({j.done_reason})")
    check(isinstance(json.loads(j.message.content).get("name"), str), f"format schema: {j.message.content}")

    t = client.chat(model=TOOLS_MODEL, messages=[{"role": "user", "content": "What is the weather in Paris? Use the tool."}],
                    tools=[get_weather], options={"temperature": 0, "num_predict": 64})
    calls = t.message.tool_calls or []
    check(len(calls) >= 1 and calls[0].function.name == "get_weather", f"tool call: {calls}")
    check(isinstance(calls[0].function.arguments, dict), f"arguments as an object: {calls[0].function.arguments}")

    e = client.embed(model=EMBED_MODEL, input=["A cat sits on the mat.", "A kitten is on a rug.", "Stocks fell today."])
    v = e.embeddings
    cos = lambda a, b: sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    check(len(v) == 3 and cos(v[0], v[1]) > cos(v[0], v[2]), "embed: the obvious pair is closer")
    print("all passed")


if __name__ == "__main__":
    main()

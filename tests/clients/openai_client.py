"""The official `openai` package against an llp node: tools (a streamed tool call, then a second
turn with the tool's result), JSON schema output, logprobs, embeddings, n choices and seeds.

Usage: python3 openai_client.py BASE_URL   (BASE_URL like http://127.0.0.1:8686/v1)
Exits non-zero, saying what failed, on the first failure.
"""

import base64
import json
import math
import struct
import sys

import jsonschema
import openai

TOOLS_MODEL = "qwen2.5-coder-0.5b-instruct"
CHAT_MODEL = "smollm2-135m-instruct"
EMBED_MODEL = "all-minilm-l6-v2"

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def tools(client):
    question = {"role": "user", "content": "What is the weather in Paris?"}
    stream = client.chat.completions.create(
        model=TOOLS_MODEL,
        messages=[question],
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        temperature=0,
        max_tokens=64,
        stream=True,
    )
    calls, finish, deltas = {}, None, 0
    for chunk in stream:
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        for tc in choice.delta.tool_calls or []:
            deltas += 1
            call = calls.setdefault(tc.index, {"id": None, "name": None, "arguments": ""})
            if tc.id:
                call["id"] = tc.id
            if tc.function and tc.function.name:
                call["name"] = tc.function.name
            if tc.function and tc.function.arguments:
                call["arguments"] += tc.function.arguments
        if choice.finish_reason:
            finish = choice.finish_reason
    check(finish == "tool_calls", f"a streamed tool call ends with finish_reason tool_calls ({finish})")
    check(deltas > 1, f"the call streamed in {deltas} deltas")
    call = calls.get(0)
    check(call and call["name"] == "get_weather" and call["id"], f"the call names get_weather ({call})")
    args = json.loads(call["arguments"])
    check(isinstance(args.get("city"), str) and args["city"], f"its arguments parse as JSON ({args})")

    # The second turn: the assistant's call and the tool's result go back to the model.
    second = client.chat.completions.create(
        model=TOOLS_MODEL,
        messages=[
            question,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": call["arguments"]},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call["id"], "content": '{"temperature_c": 18, "sky": "sunny"}'},
        ],
        tools=[WEATHER],
        temperature=0,
        max_tokens=48,
    )
    msg = second.choices[0].message
    check(
        second.choices[0].finish_reason in ("stop", "length", "tool_calls"),
        f"the second turn answers ({second.choices[0].finish_reason}: {msg.content!r})",
    )

    # A model whose template has no tools says so.
    try:
        client.chat.completions.create(
            model=CHAT_MODEL, messages=[question], tools=[WEATHER], max_tokens=8
        )
        check(False, "a model without a tool template refuses tools")
    except openai.BadRequestError as e:
        check("no tool support" in str(e), f"a model without a tool template refuses tools: {e}")


def schema_output(client):
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "colours": {"type": "array", "items": {"enum": ["red", "green", "blue"]}, "maxItems": 3},
        },
        "required": ["name", "age", "colours"],
        "additionalProperties": False,
    }
    for model in (CHAT_MODEL, TOOLS_MODEL):
        r = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Describe a person as JSON."}],
            response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}},
            temperature=0.7,
            seed=7,
            max_tokens=120,
        )
        text = r.choices[0].message.content
        value = json.loads(text)
        jsonschema.validate(value, schema)
        check(True, f"{model}: JSON schema output parses and validates: {value}")
    r = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Reply with a JSON object holding a name and an age."}],
        response_format={"type": "json_object"},
        temperature=0,
        max_tokens=300,
    )
    # (An answer cut at max_tokens is cut JSON, as OpenAI's is: this one must end by itself.)
    check(r.choices[0].finish_reason == "stop", f"json_object output ends ({r.choices[0].finish_reason})")
    check(isinstance(json.loads(r.choices[0].message.content), dict), "json_object output is an object")
    try:
        client.chat.completions.create(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "x"}],
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "not": {}}}},
        )
        check(False, "an unsupported schema keyword is refused")
    except openai.BadRequestError as e:
        check("`not`" in str(e), f"an unsupported schema keyword is refused, named: {e}")


def logprobs(client):
    r = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Say hello."}],
        logprobs=True,
        top_logprobs=3,
        temperature=0,
        max_tokens=8,
    )
    content = r.choices[0].logprobs.content
    check(len(content) > 0, f"chat logprobs for {len(content)} tokens")
    spelled = b"".join(bytes(t.bytes) for t in content)
    check(spelled == r.choices[0].message.content.encode(), f"the logprob tokens spell the answer ({spelled!r})")
    for t in content:
        check(t.logprob <= 0 and len(t.top_logprobs) == 3, f"{t.token!r}: logprob {t.logprob:.3f}, 3 alternatives")
        # Greedy: the token chosen is the likeliest.
        check(abs(t.top_logprobs[0].logprob - t.logprob) < 1e-4, "greedy picks the top alternative")
    streamed = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Say hello."}],
        logprobs=True,
        top_logprobs=2,
        temperature=0,
        max_tokens=8,
        stream=True,
    )
    tokens = [t for c in streamed if c.choices and c.choices[0].logprobs for t in c.choices[0].logprobs.content]
    check([t.token for t in tokens] == [t.token for t in content], "streamed logprobs match the whole answer's")
    c = client.completions.create(model=CHAT_MODEL, prompt="The sky is", logprobs=2, max_tokens=4, temperature=0)
    lp = c.choices[0].logprobs
    check(len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) > 0, "completion logprobs in the legacy shape")
    try:
        client.chat.completions.create(
            model=CHAT_MODEL, messages=[{"role": "user", "content": "x"}], logprobs=True, top_logprobs=21
        )
        check(False, "top_logprobs over 20 is refused")
    except openai.BadRequestError as e:
        check("top_logprobs" in str(e), "top_logprobs over 20 is refused")


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b)) / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def embeddings(client):
    texts = ["A cat sits on the mat.", "A kitten is sitting on a rug.", "The stock market fell sharply today."]
    r = client.embeddings.create(model=EMBED_MODEL, input=texts)
    v = [d.embedding for d in r.data]
    check(len(v) == 3 and len(v[0]) == 384, f"three 384-dimension vectors ({len(v)}, {len(v[0])})")
    close, far = cosine(v[0], v[1]), cosine(v[0], v[2])
    check(close > far + 0.2, f"the obvious pair is closer: {close:.3f} against {far:.3f}")
    check(r.usage.prompt_tokens > 0, f"usage counts {r.usage.prompt_tokens} tokens")
    raw = client.embeddings.with_raw_response.create(model=EMBED_MODEL, input=texts[0], encoding_format="base64")
    b64 = json.loads(raw.text)["data"][0]["embedding"]
    floats = struct.unpack(f"<{len(base64.b64decode(b64)) // 4}f", base64.b64decode(b64))
    check(max(abs(x - y) for x, y in zip(floats, v[0])) < 1e-6, "base64 is the same vector")
    one = client.embeddings.create(model=EMBED_MODEL, input=texts[0])
    check(len(one.data) == 1, "a single string is one vector")


def choices_and_seeds(client):
    ask = dict(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Name an animal."}],
        temperature=1.0,
        max_tokens=12,
        n=3,
        seed=42,
    )
    a = client.chat.completions.create(**ask)
    b = client.chat.completions.create(**ask)
    check(len(a.choices) == 3 and [c.index for c in a.choices] == [0, 1, 2], "n=3 gives three choices")
    check(
        [c.message.content for c in a.choices] == [c.message.content for c in b.choices],
        "the same seed gives the same choices",
    )
    streamed = client.chat.completions.create(**ask, stream=True)
    text = {}
    for c in streamed:
        for ch in c.choices:
            text[ch.index] = text.get(ch.index, "") + (ch.delta.content or "")
    check(sorted(text) == [0, 1, 2], "three streamed choices")


def main():
    base = sys.argv[1]
    client = openai.OpenAI(base_url=base, api_key="anything", max_retries=0, timeout=300)
    models = [m.id for m in client.models.list().data]
    check(all(m in models for m in (CHAT_MODEL, TOOLS_MODEL, EMBED_MODEL)), f"the models are listed: {models}")
    for part in sys.argv[2:] or ["tools", "schema_output", "logprobs", "embeddings", "choices_and_seeds"]:
        globals()[part](client)
    print("all passed")


if __name__ == "__main__":
    main()

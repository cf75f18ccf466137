#include "api/decode.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace bosun::api {
namespace {

// Decodes `text` as one YAML document that must succeed.
Json yaml1(std::string_view text) {
  auto r = decode_documents(text, DecodeOptions{});
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  if (!r.ok() || r->empty()) return Json();
  EXPECT_EQ(r->size(), 1u) << text;
  return r->front().value;
}

// The decoding error message for `text`.
std::string yaml_err(std::string_view text) {
  auto r = decode_documents(text, DecodeOptions{});
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  return r.error().message;
}

// The value of `v: <scalar>`.
Json scalar(std::string_view s) { return yaml1("v: " + std::string(s) + "\n")["v"]; }

TEST(DecodeManifests, MultiDocumentDeploymentServiceConfigMap) {
  const char* text = R"(# app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
---
---
# only a comment
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  enabled: "true"
  port: "8080"
  script: |
    #!/bin/sh
    echo hi
...
)";
  auto r = decode_manifests(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  const Json& d = (*r)[0];
  EXPECT_EQ(d["kind"], "Deployment");
  EXPECT_TRUE(d["spec"]["replicas"].is_number_integer());
  EXPECT_EQ(d["spec"]["replicas"], 3);
  EXPECT_EQ(d["metadata"]["labels"], Json({{"app", "web"}}));
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.25");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"], 80);
  const Json& s = (*r)[1];
  EXPECT_EQ(s["kind"], "Service");
  EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], 8080);
  const Json& c = (*r)[2];
  EXPECT_EQ(c["data"]["enabled"], "true");
  EXPECT_EQ(c["data"]["port"], "8080");
  EXPECT_EQ(c["data"]["script"], "#!/bin/sh\necho hi\n");
}

TEST(DecodeManifests, ListIsNotExpanded) {
  auto r = decode_manifests("apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n- kind: Service\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0]["items"].size(), 2u);
}

TEST(DecodeManifests, EmptyInputHasNoDocuments) {
  for (const char* text : {"", "\n\n", "# nothing\n", "---\n", "---\n...\n", "null\n", "~"}) {
    auto r = decode_manifests(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_TRUE(r->empty()) << text;
  }
}

TEST(DecodeManifests, JsonStream) {
  auto r =
      decode_manifests(" {\"kind\":\"Pod\",\"n\":12345678901234567890}\n{\"kind\":\"Service\"}\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0]["n"].get<uint64_t>(), 12345678901234567890ull);
  EXPECT_EQ((*r)[1]["kind"], "Service");
}

TEST(DecodeManifests, JsonPrefixMeansJson) {
  // Kubernetes' YAMLOrJSONDecoder reads text starting with `{` as JSON: a YAML flow mapping there
  // is a JSON syntax error.
  auto r = decode_manifests("{a: 1}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("json: line 1, column 2: ", 0), 0u) << r.error().message;
  // `[` may be either; YAML flow sequences still work.
  auto seq = decode_manifests("[a, b]");
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ((*seq)[0], Json({"a", "b"}));
}

TEST(DecodeScalars, Booleans) {
  for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON"}) {
    EXPECT_EQ(scalar(t), Json(true)) << t;
  }
  for (const char* t :
       {"false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF"}) {
    EXPECT_EQ(scalar(t), Json(false)) << t;
  }
  for (const char* t : {"yEs", "tRUE", "oN", "Nope"}) EXPECT_EQ(scalar(t), Json(t)) << t;
}

TEST(DecodeScalars, Nulls) {
  for (const char* t : {"null", "Null", "NULL", "~", ""}) EXPECT_TRUE(scalar(t).is_null()) << t;
  EXPECT_EQ(scalar("nULL"), "nULL");
  EXPECT_TRUE(yaml1("v:\n")["v"].is_null());
}

TEST(DecodeScalars, Integers) {
  struct Case {
    const char* text;
    int64_t want;
  } cases[] = {
      {"0", 0},
      {"-17", -17},
      {"+17", 17},
      {"0x1F", 31},
      {"0X1f", 31},
      {"0o17", 15},
      {"017", 15},
      {"0b101", 5},
      {"-0b101", -5},
      {"1_000", 1000},
      {"-0x10", -16},
      {"08", 8},
      {"1e3", 1000},
      {"1.0", 1},
      {"!!int \"42\"", 42},
      {"9223372036854775807", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
  };
  for (const auto& c : cases) {
    Json v = scalar(c.text);
    EXPECT_TRUE(v.is_number_integer()) << c.text << " -> " << v.dump();
    EXPECT_EQ(v, Json(c.want)) << c.text;
  }
}

TEST(DecodeScalars, HugeNumbersKeepTheirDigits) {
  Json u = scalar("12345678901234567890");
  ASSERT_TRUE(u.is_number_unsigned()) << u.dump();
  EXPECT_EQ(u.get<uint64_t>(), 12345678901234567890ull);
  EXPECT_EQ(u.dump(), "12345678901234567890");
  EXPECT_EQ(scalar("18446744073709551615").get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(scalar("9223372036854775808").get<uint64_t>(), 9223372036854775808ull);
  // Beyond uint64 go-yaml falls back to float64, as do we.
  Json f = scalar("123456789012345678901234567890");
  ASSERT_TRUE(f.is_number_float());
  EXPECT_DOUBLE_EQ(f.get<double>(), 1.2345678901234568e29);
  // A float too large for float64 stays a string (strconv.ParseFloat's range error).
  EXPECT_EQ(scalar("1e400"), "1e400");
  auto j = decode_json("[12345678901234567890, -9223372036854775808, 1.5]");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)[0].get<uint64_t>(), 12345678901234567890ull);
  EXPECT_EQ((*j)[1].get<int64_t>(), std::numeric_limits<int64_t>::min());
}

TEST(DecodeScalars, Floats) {
  struct Case {
    const char* text;
    double want;
  } cases[] = {{"1.5", 1.5},        {".5", 0.5},         {"-.5", -0.5},        {"6.02e23", 6.02e23},
               {"1_000.5", 1000.5}, {"+2.5e-3", 0.0025}, {"!!float 2.5", 2.5}, {"1e21", 1e21}};
  for (const auto& c : cases) {
    Json v = scalar(c.text);
    EXPECT_TRUE(v.is_number_float()) << c.text << " -> " << v.dump();
    EXPECT_DOUBLE_EQ(v.get<double>(), c.want) << c.text;
  }
}

TEST(DecodeScalars, InfinityAndNaNCannotBeJson) {
  EXPECT_EQ(yaml_err("v: .inf\n"),
            "error converting YAML to JSON: json: unsupported value: +Inf at line 1, column 4");
  EXPECT_EQ(yaml_err("a: 1\nv: -.Inf\n"),
            "error converting YAML to JSON: json: unsupported value: -Inf at line 2, column 4");
  EXPECT_EQ(yaml_err("- .NaN\n"),
            "error converting YAML to JSON: json: unsupported value: NaN at line 1, column 3");
}

TEST(DecodeScalars, StringsQuotedOrNot) {
  EXPECT_EQ(scalar("\"true\""), "true");
  EXPECT_EQ(scalar("'123'"), "123");
  EXPECT_EQ(scalar("\"null\""), "null");
  EXPECT_EQ(scalar("\"\""), "");
  EXPECT_EQ(scalar("!!str 123"), "123");
  EXPECT_EQ(scalar("!!str yes"), "yes");
  EXPECT_EQ(scalar("nginx:1.25"), "nginx:1.25");
  EXPECT_EQ(scalar("0x"), "0x");
  EXPECT_EQ(scalar("1.2.3"), "1.2.3");
  EXPECT_EQ(scalar("2024-05-01T12:00:00Z"), "2024-05-01T12:00:00Z");
  EXPECT_EQ(scalar("2024-05-01"), "2024-05-01");
  EXPECT_EQ(scalar("'it''s'"), "it's");
  EXPECT_EQ(scalar("\"tab\\there\""), "tab\there");
  EXPECT_EQ(scalar("!custom text"), "text");
  EXPECT_EQ(scalar("!!binary aGVsbG8="), "hello");
}

TEST(DecodeScalars, TagMismatchIsAnError) {
  EXPECT_EQ(yaml_err("v: !!int abc\n"),
            "error converting YAML to JSON: yaml: line 1, column 4: cannot decode !!str `abc` as "
            "a !!int");
  EXPECT_EQ(yaml_err("v: !!bool 1\n"),
            "error converting YAML to JSON: yaml: line 1, column 4: cannot decode !!int `1` as a "
            "!!bool");
  EXPECT_EQ(yaml_err("v: !!binary '%%%'\n"),
            "error converting YAML to JSON: yaml: line 1, column 4: !!binary value contains "
            "invalid base64 data");
}

TEST(DecodeKeys, NonStringKeysBecomeStrings) {
  Json v = yaml1("1: a\ntrue: b\n1.5: c\nno: d\n0x10: e\n~x: f\n1e6: g\n");
  EXPECT_EQ(v, Json({{"1", "a"},
                     {"true", "b"},
                     {"1.5", "c"},
                     {"false", "d"},
                     {"16", "e"},
                     {"~x", "f"},
                     {"1e+06", "g"}}));
  EXPECT_EQ(yaml_err("~: a\n"),
            "error converting YAML to JSON: yaml: line 1, column 1: unsupported map key of type: "
            "<nil>");
  EXPECT_EQ(yaml_err("? [a, b]\n: c\n"),
            "error converting YAML to JSON: yaml: line 1, column 3: invalid map key: a mapping "
            "or sequence");
}

TEST(DecodeErrors, LineAndColumn) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"a: b: c\n", "yaml: line 1, column 5: mapping values are not allowed in this context"},
      {"a: 1\nb:\n  c: 2\n d: 3\n", "yaml: line 4, column 2: did not find expected key"},
      {"a: [1, 2\n", "yaml: line 2, column 1: did not find expected ',' or ']'"},
      {"a: {b: 1\n", "yaml: line 2, column 1: did not find expected ',' or '}'"},
      {"a: 1\nb: \"open\nc: 2\n", "yaml: line 2, column 4: found unexpected end of stream"},
      {"a: 1\nb\nc: 2\n", "yaml: line 3, column 2: mapping values are not allowed in this context"},
      {"a: 1\nb\n", "yaml: line 2, column 1: could not find expected ':'"},
      {"a:\n\t- b\n",
       "yaml: line 2, column 2: block sequence entries are not allowed in this context"},
      {"a: *nope\n", "yaml: line 1, column 4: unknown anchor 'nope' referenced"},
      {"- a\n- b\nc: 1\n", "yaml: line 3, column 1: did not find expected <document start>"},
      {"a: \"\\q\"\n",
       "yaml: line 1, column 7: found unknown escape character while parsing a quoted scalar"},
      {"a: 1\n\x01\n", "yaml: line 2, column 1: control characters are not allowed"},
      {"a: \xff\n", "yaml: line 1, column 4: invalid leading UTF-8 octet"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(yaml_err(c.text), std::string("error converting YAML to JSON: ") + c.want) << c.text;
  }
}

TEST(DecodeErrors, ExplicitDocumentEndAllowsBareDocument) {
  auto r = decode_manifests("a: 1\n...\n# next\nb: 2\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1]["b"], 2);
}

TEST(DecodeDuplicates, YamlStrictFailsWithKeyAndLine) {
  const char* text = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  name: web2
spec:
  containers:
  - name: a
    image: x
    name: b
)";
  EXPECT_EQ(yaml_err(text),
            "error converting YAML to JSON: yaml: unmarshal errors:\n"
            "  line 5: key \"name\" already set in map\n"
            "  line 10: key \"name\" already set in map");
}

TEST(DecodeDuplicates, YamlCollectedWithPaths) {
  const char* text = R"(metadata:
  labels:
    app: a
    app: b
spec:
  containers:
  - name: a
  - name: b
    ports:
    - containerPort: 1
      containerPort: 2
    name: c
)";
  auto r = decode_document(text, DecodeOptions{.fail_on_duplicates = false});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(
      r->duplicate_fields,
      (std::vector<std::string>{"metadata.labels.app", "spec.containers[1].ports[0].containerPort",
                                "spec.containers[1].name"}));
  // The last value wins, as in Kubernetes' non-strict decoding.
  EXPECT_EQ(r->value["metadata"]["labels"]["app"], "b");
  EXPECT_EQ(r->value["spec"]["containers"][1]["name"], "c");
  EXPECT_EQ(r->value["spec"]["containers"][1]["ports"][0]["containerPort"], 2);
}

TEST(DecodeDuplicates, JsonStrictAndCollected) {
  auto strict = decode_json(R"({"a": 1, "a": 2})");
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.error().message, "json: duplicate field \"a\"");
  auto nested =
      decode_json(R"({"spec": {"containers": [{"name": "a"}, {"name": "b", "name": "c"}]}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().message, "json: duplicate field \"spec.containers[1].name\"");
  auto collected = decode_json_document(R"({"x": {"y": 1, "y": 2}, "x2": [[{"z": 1, "z": 1}]]})",
                                        DecodeOptions{.fail_on_duplicates = false});
  ASSERT_TRUE(collected.ok());
  EXPECT_EQ(collected->duplicate_fields, (std::vector<std::string>{"x.y", "x2[0][0].z"}));
  EXPECT_EQ(collected->value["x"]["y"], 2);
}

TEST(DecodeJson, StrictSyntax) {
  EXPECT_FALSE(decode_json(R"({"a": 1} x)").ok());
  EXPECT_FALSE(decode_json(R"({"a": 1}{"b": 2})").ok());
  EXPECT_FALSE(decode_json("").ok());
  auto bad = decode_json("{\n  \"a\": tru\n}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(bad.error().message.rfind("json: line 2, column ", 0), 0u) << bad.error().message;
  auto ok = decode_json(" [1, \"two\", null, true, {\"k\": 1.25}] ");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, Json::parse(R"([1, "two", null, true, {"k": 1.25}])"));
}

TEST(DecodeAliases, AnchorsAliasesAndMerge) {
  const char* text = R"(base: &base
  image: nginx
  pull: Always
other: &o {port: 80}
list:
- *base
- *o
merged:
  <<: *base
  pull: Never
multi:
  <<: [*o, {port: 81, proto: TCP}]
scalar: &s hello
again: *s
)";
  Json v = yaml1(text);
  EXPECT_EQ(v["list"][0], Json({{"image", "nginx"}, {"pull", "Always"}}));
  EXPECT_EQ(v["list"][1], Json({{"port", 80}}));
  EXPECT_EQ(v["merged"], Json({{"image", "nginx"}, {"pull", "Never"}}));
  EXPECT_EQ(v["multi"], Json({{"port", 80}, {"proto", "TCP"}}));
  EXPECT_EQ(v["again"], "hello");
  // A quoted "<<" is an ordinary key.
  EXPECT_EQ(yaml1("\"<<\": x\n"), Json({{"<<", "x"}}));
  EXPECT_EQ(yaml_err("a: 1\n<<: 5\n"),
            "error converting YAML to JSON: yaml: line 2, column 5: map merge requires map or "
            "sequence of maps as the value");
  EXPECT_EQ(yaml_err("a: &x [1, *x]\n"),
            "error converting YAML to JSON: yaml: line 1, column 11: anchor 'x' value contains "
            "itself");
}

TEST(DecodeAliases, BillionLaughsIsRejected) {
  std::string text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) text += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    text += "]\n";
  }
  std::string msg = yaml_err(text);
  EXPECT_NE(msg.find("document contains excessive aliasing"), std::string::npos) << msg;
  // Few aliases of one big string: bounded by bytes, not only by node count.
  std::string big = "s: &s " + std::string(1 << 20, 'x') + "\nl: [";
  for (int i = 0; i < 64; ++i) big += std::string(i ? ", " : "") + "*s";
  big += "]\n";
  msg = yaml_err(big);
  EXPECT_NE(msg.find("document contains excessive aliasing"), std::string::npos) << msg;
  // Moderate, legitimate aliasing is fine.
  EXPECT_EQ(yaml1("a: &a [1, 2]\nb: [*a, *a, *a]\n")["b"][2], Json({1, 2}));
}

TEST(DecodeLimits, NestingDepth) {
  std::string deep_yaml = std::string(1200, '[') + std::string(1200, ']');
  EXPECT_NE(yaml_err(deep_yaml).find("exceeded max depth of 1000"), std::string::npos);
  std::string deep_block;
  for (int i = 0; i < 1200; ++i) deep_block += std::string(i, ' ') + "k:\n";
  EXPECT_NE(yaml_err(deep_block).find("exceeded max depth of 1000"), std::string::npos);
  std::string deep_json = std::string(1500, '[') + std::string(1500, ']');
  auto r = decode_json(deep_json);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceeded max depth of 1000"), std::string::npos);
  std::string ok_json = std::string(900, '[') + std::string(900, ']');
  EXPECT_TRUE(decode_json(ok_json).ok());
}

TEST(DecodeDocument, FirstYamlDocumentOnly) {
  auto r = decode_document("a: 1\n---\nb: 2\n", DecodeOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, Json({{"a", 1}}));
  auto empty = decode_document("", DecodeOptions{});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->value.is_null());
  auto json = decode_document(R"({"kind": "Pod"})", DecodeOptions{});
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->value["kind"], "Pod");
}

TEST(ToYaml, KubectlStyle) {
  Json obj = Json::parse(R"({
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "cfg", "labels": {"app": "web"}, "creationTimestamp": "2024-05-01T12:00:00Z"},
    "data": {"enabled": "true", "port": "8080", "empty": "", "script": "echo hi\nexit 0\n",
             "glob": "*", "colon": "a: b", "plain": "hello world", "tab": "a\tb",
             "lead": " x", "dash": "- x", "comment": "a #b", "octal": "0755", "time": "1:20",
             "nested": {"list": [1, 2.5, null, false, {"a": [], "b": {}}, ["x", "y"]]}}
  })");
  EXPECT_EQ(to_yaml(obj), R"(apiVersion: v1
data:
  colon: 'a: b'
  comment: 'a #b'
  dash: '- x'
  empty: ""
  enabled: "true"
  glob: '*'
  lead: ' x'
  nested:
    list:
    - 1
    - 2.5
    - null
    - false
    - a: []
      b: {}
    - - x
      - "y"
  octal: "0755"
  plain: hello world
  port: "8080"
  script: |
    echo hi
    exit 0
  tab: "a\tb"
  time: "1:20"
kind: ConfigMap
metadata:
  creationTimestamp: "2024-05-01T12:00:00Z"
  labels:
    app: web
  name: cfg
)");
}

TEST(ToYaml, ScalarsAndChomping) {
  EXPECT_EQ(to_yaml(Json()), "null\n");
  EXPECT_EQ(to_yaml(Json::object()), "{}\n");
  EXPECT_EQ(to_yaml(Json::array()), "[]\n");
  EXPECT_EQ(to_yaml(Json("x")), "x\n");
  EXPECT_EQ(to_yaml(Json({{"s", "a\nb"}})), "s: |-\n  a\n  b\n");
  EXPECT_EQ(to_yaml(Json({{"s", "a\n\n"}})), "s: |+\n  a\n\n");
  EXPECT_EQ(to_yaml(Json({{"s", "  a\nb\n"}})), "s: |2\n    a\n  b\n");
  EXPECT_EQ(to_yaml(Json({{"s", "trailing \nspace"}})), "s: \"trailing \\nspace\"\n");
  EXPECT_EQ(
      to_yaml(Json({{"f", 1e21}, {"g", 1234567.5}, {"h", 0.0001}, {"u", 18446744073709551615ull}})),
      "f: 1e+21\ng: 1.2345675e+06\nh: 0.0001\nu: 18446744073709551615\n");
  EXPECT_EQ(to_yaml(Json({{"", 1}, {"a b", 2}, {"true", 3}})), "\"\": 1\na b: 2\n\"true\": 3\n");
  EXPECT_EQ(to_yaml(Json({{"e", "\xF0\x9F\x98\x80"}})), "e: \"\\U0001F600\"\n");
  EXPECT_EQ(to_yaml(Json({{"bad", std::string("a\xff")}})), "bad: a\xEF\xBF\xBD\n");
}

TEST(ToYaml, RoundTrips) {
  const char* values[] = {
      R"({"a": ["x", "- y", "? z", ": w", "#", "!t", "&a", "*b", "|", ">", "%", "@", "`", "'q'",
                "\"d\"", "{", "}", "[", "]", ",", "a,b", "a:b", "a: b", "a #b", "a#b", "---", "...",
                "--- x", "yes", "No", "on", "~", "null", "1", "-1", "+1", "0x1F", "0o7", "1_000",
                "1e3", ".5", ".inf", ".NaN", "1:20", "2024-01-02", "<<", " ", "  x  ", "\t", "\n",
                "\n\n", "a\n", " a\nb", "a \nb", "a\n b", "\u00e9t\u00e9", "\u2028", "\u0085",
                "\u00a0x", "\ufeff", "x\r\ny", "\u0001"]})",
      R"({"k": {"": {"yes": {"1": [[[]], [{}], {"x": [null, true, 1.5e-7, -0.0, 9007199254740993]}]}}}})",
      R"([[1, [2, [3]]], {"a": {"b": {"c": "d\ne\n"}}}, "multi\nline", "tail\n"])",
  };
  for (const char* v : values) {
    Json in = Json::parse(v);
    std::string y = to_yaml(in);
    auto back = decode_documents(y, DecodeOptions{});
    ASSERT_TRUE(back.ok()) << y << "\n" << back.error().message;
    ASSERT_EQ(back->size(), 1u) << y;
    EXPECT_EQ(back->front().value, in) << y;
  }
}

}  // namespace
}  // namespace bosun::api

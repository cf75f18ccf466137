// JSON Patch and JSON Merge Patch as kube-apiserver applies them (evanphx/json-patch v4 semantics
// and messages), and apply_patch: the Status a PATCH request gets for each failure, and the
// patches kubectl sends (rollout undo, scale, label, annotate).
#include "api/patch.h"

#include <gtest/gtest.h>

#include <string>

#include "api/decode.h"
#include "api/schema.h"

namespace bosun::api {
namespace {

Json json(std::string_view text) {
  Result<Json> j = decode_json(text);
  if (!j.ok()) {
    ADD_FAILURE() << j.error().message << "\n" << text;
    return Json();
  }
  return *j;
}

const SchemaType* deployment() { return SchemaSet::global().find("apps", "v1", "Deployment"); }

TEST(PatchMediaType, MapsContentTypes) {
  EXPECT_EQ(patch_type_for_media_type("application/json-patch+json"), PatchType::kJsonPatch);
  EXPECT_EQ(patch_type_for_media_type("application/merge-patch+json"), PatchType::kMergePatch);
  EXPECT_EQ(patch_type_for_media_type("application/strategic-merge-patch+json; charset=utf-8"),
            PatchType::kStrategicMergePatch);
  EXPECT_EQ(patch_type_for_media_type("application/apply-patch+yaml"), std::nullopt);
  EXPECT_EQ(patch_type_for_media_type("application/json"), std::nullopt);
  EXPECT_EQ(patch_type_for_media_type("Application/Merge-Patch+JSON"), std::nullopt);
  for (PatchType t :
       {PatchType::kJsonPatch, PatchType::kMergePatch, PatchType::kStrategicMergePatch}) {
    EXPECT_EQ(patch_type_for_media_type(patch_media_type(t)), t);
  }
}

struct JsonPatchCase {
  const char* doc;
  const char* patch;
  const char* result;
};

// evanphx/json-patch's own cases, v4 semantics (negative indices count from the end).
TEST(JsonPatch, AppliesOperations) {
  const JsonPatchCase cases[] = {
      {R"({"foo": "bar"})", R"([{"op": "add", "path": "/baz", "value": "qux"}])",
       R"({"baz": "qux", "foo": "bar"})"},
      {R"({"foo": ["bar", "baz"]})", R"([{"op": "add", "path": "/foo/1", "value": "qux"}])",
       R"({"foo": ["bar", "qux", "baz"]})"},
      {R"({"foo": ["bar", "baz"]})", R"([{"op": "add", "path": "/foo/-1", "value": "qux"}])",
       R"({"foo": ["bar", "baz", "qux"]})"},
      {R"({"baz": "qux", "foo": "bar"})", R"([{"op": "remove", "path": "/baz"}])",
       R"({"foo": "bar"})"},
      {R"({"foo": ["bar", "qux", "baz"]})", R"([{"op": "remove", "path": "/foo/1"}])",
       R"({"foo": ["bar", "baz"]})"},
      {R"({"baz": "qux", "foo": "bar"})", R"([{"op": "replace", "path": "/baz", "value": "boo"}])",
       R"({"baz": "boo", "foo": "bar"})"},
      {R"({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}})",
       R"([{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}])",
       R"({"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}})"},
      {R"({"foo": ["all", "grass", "cows", "eat"]})",
       R"([{"op": "move", "from": "/foo/1", "path": "/foo/3"}])",
       R"({"foo": ["all", "cows", "eat", "grass"]})"},
      {R"({"foo": ["all", "grass", "cows", "eat"]})",
       R"([{"op": "move", "from": "/foo/1", "path": "/foo/2"}])",
       R"({"foo": ["all", "cows", "grass", "eat"]})"},
      {R"({"foo": "bar"})", R"([{"op": "add", "path": "/child", "value": {"grandchild": {}}}])",
       R"({"foo": "bar", "child": {"grandchild": {}}})"},
      {R"({"foo": ["bar"]})", R"([{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}])",
       R"({"foo": ["bar", ["abc", "def"]]})"},
      {R"({"foo": "bar", "qux": {"baz": 1, "bar": null}})",
       R"([{"op": "remove", "path": "/qux/bar"}])", R"({"foo": "bar", "qux": {"baz": 1}})"},
      {R"({"foo": "bar"})", R"([{"op": "add", "path": "/baz", "value": null}])",
       R"({"baz": null, "foo": "bar"})"},
      {R"({"foo": ["bar", "qux", "baz"]})",
       R"([{"op": "replace", "path": "/foo/1", "value": "bum"}])",
       R"({"foo": ["bar", "bum", "baz"]})"},
      {R"([{"foo": ["bar", "qux", "baz"]}])",
       R"([{"op": "replace", "path": "/0/foo/0", "value": "bum"}])",
       R"([{"foo": ["bum", "qux", "baz"]}])"},
      {R"([{"foo": ["bar", "qux", "baz"], "bar": ["qux", "baz"]}])",
       R"([{"op": "copy", "from": "/0/foo/0", "path": "/0/bar/0"}])",
       R"([{"foo": ["bar", "qux", "baz"], "bar": ["bar", "qux", "baz"]}])"},
      {R"([{"foo": ["bar", "qux", "baz"], "bar": ["qux", "baz"]}])",
       R"([{"op": "copy", "from": "/0/foo/0", "path": "/0/bar"}])",
       R"([{"foo": ["bar", "qux", "baz"], "bar": "bar"}])"},
      {R"({"foo": ["bar"]})", R"([{"op": "copy", "path": "/foo/0", "from": "/foo"}])",
       R"({"foo": [["bar"], "bar"]})"},
      {R"({"foo": ["bar", "qux", "baz"]})", R"([{"op": "remove", "path": "/foo/-2"}])",
       R"({"foo": ["bar", "baz"]})"},
      {R"({"foo": []})", R"([{"op": "add", "path": "/foo/-1", "value": "qux"}])",
       R"({"foo": ["qux"]})"},
      {R"({"bar": [{"baz": null}]})", R"([{"op": "replace", "path": "/bar/0/baz", "value": 1}])",
       R"({"bar": [{"baz": 1}]})"},
      {R"({"bar": [1]})", R"([{"op": "replace", "path": "/bar/0", "value": null}])",
       R"({"bar": [null]})"},
      {R"({"baz/foo": "qux", "a~b": 1})",
       R"([{"op": "test", "path": "/baz~1foo", "value": "qux"},
           {"op": "replace", "path": "/a~0b", "value": 2}])",
       R"({"baz/foo": "qux", "a~b": 2})"},
      // v4 quirks kube-apiserver keeps: replace of a missing key adds it, a missing value is null,
      // a path without its leading "/" loses its first segment, "" replaces the whole document.
      {R"({"foo": "bar"})", R"([{"op": "replace", "path": "/baz", "value": 1}])",
       R"({"foo": "bar", "baz": 1})"},
      {R"({"foo": "bar"})", R"([{"op": "add", "path": "/baz"}])", R"({"foo": "bar", "baz": null})"},
      {R"({"foo": "bar"})", R"([{"op": "add", "path": "ignored/baz", "value": 1}])",
       R"({"foo": "bar", "baz": 1})"},
      {R"({"foo": "bar"})", R"([{"op": "replace", "path": "", "value": {"a": 1}}])", R"({"a": 1})"},
      {R"({"foo": "bar"})", "null", R"({"foo": "bar"})"},
  };
  for (const JsonPatchCase& c : cases) {
    SCOPED_TRACE(c.patch);
    Result<Json> got = json_patch(json(c.doc), json(c.patch));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, json(c.result));
  }
}

struct JsonPatchError {
  const char* doc;
  const char* patch;
  const char* message;
};

TEST(JsonPatch, FailuresCarryEvanphxMessages) {
  const JsonPatchError cases[] = {
      {R"({"foo": "bar"})", R"([{"op": "add", "path": "/baz/bat", "value": "qux"}])",
       R"(add operation does not apply: doc is missing path: "/baz/bat": missing value)"},
      {R"({"a": {"b": {"d": 1}}})", R"([{"op": "remove", "path": "/a/b/c"}])",
       "error in remove for path: '/a/b/c': Unable to remove nonexistent key: c: missing value"},
      {R"({"a": {"b": {"d": 1}}})", R"([{"op": "move", "from": "/a/b/c", "path": "/a/b/e"}])",
       "error in move for path: 'c': Unable to remove nonexistent key: c: missing value"},
      {R"({"a": {"b": [1]}})", R"([{"op": "remove", "path": "/a/b/1"}])",
       "error in remove for path: '/a/b/1': Unable to access invalid index: 1: invalid index "
       "referenced"},
      {R"({"a": {"b": [1]}})", R"([{"op": "move", "from": "/a/b/1", "path": "/a/b/2"}])",
       "error in move for path: '1': Unable to access invalid index: 1: invalid index referenced"},
      {R"({"foo": "bar"})", R"([{"op": "add", "pathz": "/baz", "value": "qux"}])",
       "add operation failed to decode path: missing value"},
      {R"({"foo": "bar"})", R"([{"op": "add", "path": "", "value": "qux"}])",
       R"(add operation does not apply: doc is missing path: "": missing value)"},
      {R"({"foo": ["bar", "baz"]})", R"([{"op": "replace", "path": "/foo/2", "value": "bum"}])",
       "replace operation does not apply: doc is missing key: /foo/2: missing value"},
      {R"({"foo": ["bar", "baz"]})", R"([{"op": "add", "path": "/foo/-4", "value": "bum"}])",
       "error in add for path: '/foo/-4': Unable to access invalid index: -4: invalid index "
       "referenced"},
      {R"({"name": {"foo": "bat"}})", R"([{"op": "replace", "path": "/foo/bar", "value": "baz"}])",
       "replace operation does not apply: doc is missing path: /foo/bar: missing value"},
      {R"({"foo": ["bar"]})", R"([{"op": "add", "path": "/foo/2", "value": "bum"}])",
       "error in add for path: '/foo/2': Unable to access invalid index: 2: invalid index "
       "referenced"},
      {R"({"foo": []})", R"([{"op": "remove", "path": "/foo/-"}])",
       R"(error in remove for path: '/foo/-': strconv.Atoi: parsing "-": invalid syntax)"},
      {R"({"foo": []})", R"([{"op": "remove", "path": "/foo/-1"}])",
       "error in remove for path: '/foo/-1': Unable to access invalid index: -1: invalid index "
       "referenced"},
      {R"({"foo": ["a"]})", R"([{"op": "add", "path": "/foo/x", "value": 1}])",
       R"(error in add for path: '/foo/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax)"},
      {"{}", R"([{"op": null, "path": ""}])", "Unexpected kind: unknown"},
      {"{}", R"([{"op": "Add", "path": "/a"}])", "Unexpected kind: Add"},
      {"{}", R"([{"op": "add", "path": null}])",
       "add operation failed to decode path: missing value"},
      {"{}", R"([{"op": "replace", "path": 1}])",
       "replace operation failed to decode path: json: cannot unmarshal number into Go value of "
       "type string"},
      {"{}", R"([{"op": "copy", "from": null}])",
       "copy operation failed to decode from: operation, missing from field: missing value"},
      {R"({"foo": ["bar"]})", R"([{"op": "copy", "path": "/foo/6666666666", "from": "/"}])",
       "error while adding value during copy: Unable to access invalid index: 6666666666: "
       "invalid index referenced"},
      {R"({"foo": ["bar"]})", R"([{"op": "copy", "path": "/foo/2", "from": "/foo/0"}])",
       "error while adding value during copy: Unable to access invalid index: 2: invalid index "
       "referenced"},
      {R"({"foo": ["all", "grass", "cows", "eat"]})",
       R"([{"op": "move", "from": "/foo/1", "path": "/foo/4"}])",
       "error in move for path: '/foo/4': Unable to access invalid index: 4: invalid index "
       "referenced"},
      {R"({"foo": "bar"})", R"([{"op": "replace", "path": "", "value": 1}])",
       "replace operation value must be object or array: %!w(<nil>)"},
  };
  for (const JsonPatchError& c : cases) {
    SCOPED_TRACE(c.patch);
    Result<Json> got = json_patch(json(c.doc), json(c.patch));
    ASSERT_FALSE(got.ok()) << got->dump();
    EXPECT_EQ(got.error().code, ErrorCode::kInvalid);
    EXPECT_EQ(got.error().message, c.message);
  }
}

TEST(JsonPatch, TestOperation) {
  struct Case {
    const char* doc;
    const char* patch;
    const char* failed_path;  // nullptr: passes
  };
  const Case cases[] = {
      {R"({"baz": "qux", "foo": ["a", 2, "c"]})",
       R"([{"op": "test", "path": "/baz", "value": "qux"},
           {"op": "test", "path": "/foo/1", "value": 2}])",
       nullptr},
      {R"({"baz": "qux"})", R"([{"op": "test", "path": "/baz", "value": "bar"}])", "/baz"},
      {R"({"baz": "qux", "foo": ["a", 2, "c"]})",
       R"([{"op": "test", "path": "/baz", "value": "qux"},
           {"op": "test", "path": "/foo/1", "value": "c"}])",
       "/foo/1"},
      {R"({"baz": "qux"})", R"([{"op": "test", "path": "/foo", "value": 42}])", "/foo"},
      {R"({"baz": "qux"})", R"([{"op": "test", "path": "/foo", "value": null}])", nullptr},
      {R"({"foo": null})", R"([{"op": "test", "path": "/foo", "value": null}])", nullptr},
      {R"({"foo": {}})", R"([{"op": "test", "path": "/foo", "value": null}])", "/foo"},
      {R"({"foo": []})", R"([{"op": "test", "path": "/foo", "value": null}])", "/foo"},
      {R"({"foo": []})", R"([{"op": "test", "path": "/foo"}])", "/foo"},
      {R"({"foo": {"a": [1, {"b": 2}]}})",
       R"([{"op": "test", "path": "/foo", "value": {"a": [1, {"b": 2}]}}])", nullptr},
      // Numbers compare as written: 1 is not 1.0.
      {R"({"n": 1})", R"([{"op": "test", "path": "/n", "value": 1.0}])", "/n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.patch);
    Result<Json> got = json_patch(json(c.doc), json(c.patch));
    if (c.failed_path == nullptr) {
      EXPECT_TRUE(got.ok()) << got.error().message;
      continue;
    }
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().message,
              std::string("testing value ") + c.failed_path + " failed: test failed");
  }
}

TEST(JsonPatch, RefusesBodiesThatAreNotOperationLists) {
  Result<Json> obj = json_patch(json("{}"), json(R"({"op": "add"})"));
  ASSERT_FALSE(obj.ok());
  EXPECT_EQ(obj.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(obj.error().message,
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  Result<Json> elem = json_patch(json("{}"), json(R"(["add"])"));
  ASSERT_FALSE(elem.ok());
  EXPECT_EQ(elem.error().message,
            "json: cannot unmarshal string into Go value of type jsonpatch.Operation");
}

// kube-apiserver caps what "copy" may add (JSONPatchMaxCopyBytes, 3 MiB), so that a short patch
// cannot double a document over and over.
TEST(JsonPatch, CopiesAreCapped) {
  Json doc = {{"a", std::string(2 * 1024 * 1024, 'x')}};
  Json ops = json(R"([{"op": "copy", "from": "/a", "path": "/b"},
                      {"op": "copy", "from": "/a", "path": "/c"}])");
  Result<Json> got = json_patch(doc, ops);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message,
            "Unable to complete the copy, the accumulated size increase of copy is 4194308, "
            "exceeding the limit 3145728");
}

// `kubectl rollout undo` replaces the pod template and the annotations with a JSON patch.
TEST(JsonPatch, RolloutUndo) {
  Json live = json(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "nginx", "annotations": {"deployment.kubernetes.io/revision": "2"}},
    "spec": {"replicas": 3, "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:1.26"}]}}}})");
  Json undo = json(R"([
    {"op": "replace", "path": "/spec/template", "value": {
      "metadata": {"creationTimestamp": null, "labels": {"app": "nginx"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "resources": {}}]}}},
    {"op": "replace", "path": "/metadata/annotations",
     "value": {"deployment.kubernetes.io/revision": "1"}}])");
  Result<Json> got = json_patch(live, undo);
  ASSERT_TRUE(got.ok()) << got.error().message;
  Json expected = live;
  expected["spec"]["template"] = undo[0]["value"];
  expected["metadata"]["annotations"] = undo[1]["value"];
  EXPECT_EQ(*got, expected);
}

// RFC 7386 Appendix A, where evanphx (and so Kubernetes) agrees with the RFC; it refuses a patch
// that is null or a scalar instead of returning it.
TEST(MergePatch, Rfc7386Examples) {
  const JsonPatchCase cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const JsonPatchCase& c : cases) {
    SCOPED_TRACE(c.patch);
    Result<Json> got = merge_patch(json(c.doc), json(c.patch));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, json(c.result));
  }
  for (const char* bad : {"null", R"("bar")", "1"}) {
    Result<Json> got = merge_patch(json(R"({"a":"foo"})"), json(bad));
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(got.error().message, "Invalid JSON Patch");
  }
}

// Where evanphx prunes nulls: inside a newly set value, arrays' objects included, but not in an
// array that replaces an existing object.
TEST(MergePatch, PrunesNullsAsEvanphx) {
  EXPECT_EQ(*merge_patch(json("{}"), json(R"({"a":[{"b":null,"c":1},null]})")),
            json(R"({"a":[{"c":1},null]})"));
  EXPECT_EQ(*merge_patch(json(R"({"a":{"x":1}})"), json(R"({"a":[{"b":null}]})")),
            json(R"({"a":[{"b":null}]})"));
  EXPECT_EQ(*merge_patch(json(R"({"a":"s"})"), json(R"({"a":{"b":null,"c":{"d":null}}})")),
            json(R"({"a":{"c":{}}})"));
}

// `kubectl scale` (on the scale subresource), `kubectl label` and its removal, `kubectl annotate
// --overwrite`.
TEST(MergePatch, KubectlPatches) {
  Json scale = json(R"({"apiVersion":"autoscaling/v1","kind":"Scale",
    "metadata":{"name":"nginx","namespace":"default"},
    "spec":{"replicas":1},"status":{"replicas":1,"selector":"app=nginx"}})");
  Json scaled = *merge_patch(scale, json(R"({"spec":{"replicas":4}})"));
  EXPECT_EQ(scaled["spec"], json(R"({"replicas":4})"));
  EXPECT_EQ(scaled["status"], scale["status"]);

  Json pod = json(R"({"metadata":{"name":"web","labels":{"app":"web"},
                                  "annotations":{"note":"old"}}})");
  Json labelled = *merge_patch(pod, json(R"({"metadata":{"labels":{"tier":"frontend"}}})"));
  EXPECT_EQ(labelled["metadata"]["labels"], json(R"({"app":"web","tier":"frontend"})"));
  Json unlabelled = *merge_patch(labelled, json(R"({"metadata":{"labels":{"tier":null}}})"));
  EXPECT_EQ(unlabelled["metadata"]["labels"], json(R"({"app":"web"})"));
  Json annotated = *merge_patch(pod, json(R"({"metadata":{"annotations":{"note":"new"}}})"));
  EXPECT_EQ(annotated["metadata"]["annotations"], json(R"({"note":"new"})"));
}

Json live_deployment() {
  return json(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"nginx","namespace":"default","labels":{"app":"nginx"}},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"nginx"}},
      "template":{"metadata":{"labels":{"app":"nginx"}},
        "spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}})");
}

Error patch_error(PatchType type, std::string_view body, bool strict = true,
                  const SchemaType* schema = deployment()) {
  PatchOptions options;
  options.strict_decoding = strict;
  Json live = live_deployment();
  Result<PatchResult> r = apply_patch(type, live, body, schema, options);
  EXPECT_FALSE(r.ok()) << body;
  EXPECT_EQ(live, live_deployment());
  return r.ok() ? Error{} : r.error();
}

TEST(ApplyPatch, EachTypeAppliesToACopy) {
  const Json live = live_deployment();
  Result<PatchResult> smp = apply_patch(
      PatchType::kStrategicMergePatch, live,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}})",
      deployment());
  ASSERT_TRUE(smp.ok()) << smp.error().message;
  EXPECT_EQ(smp->object["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.26");
  EXPECT_TRUE(smp->strict_errors.empty());
  Result<PatchResult> merge =
      apply_patch(PatchType::kMergePatch, live, R"({"spec":{"replicas":2}})", deployment());
  ASSERT_TRUE(merge.ok());
  EXPECT_EQ(merge->object["spec"]["replicas"], 2);
  Result<PatchResult> jp =
      apply_patch(PatchType::kJsonPatch, live,
                  R"([{"op":"replace","path":"/spec/replicas","value":5}])", deployment());
  ASSERT_TRUE(jp.ok());
  EXPECT_EQ(jp->object["spec"]["replicas"], 5);
  EXPECT_EQ(live, live_deployment());
}

// A JSON Patch that does not apply is 422 with kube-apiserver's generic message and no causes:
// kubectl prints `The request is invalid: the server rejected our request due to an error in our
// request`.
TEST(ApplyPatch, JsonPatchThatDoesNotApplyIs422WithoutDetail) {
  Error e =
      patch_error(PatchType::kJsonPatch, R"([{"op":"replace","path":"/spec/foo/bar","value":1}])");
  EXPECT_EQ(e.code, ErrorCode::kInvalid);
  EXPECT_EQ(e.http_code(), 422);
  EXPECT_EQ(e.message, "the server rejected our request due to an error in our request");
  EXPECT_TRUE(e.causes.empty());
}

TEST(ApplyPatch, JsonPatchOperationLimit) {
  std::string body = "[";
  for (size_t i = 0; i <= kMaxJsonPatchOperations; ++i) {
    if (i) body += ",";
    body += R"({"op":"test","path":"/kind","value":"Deployment"})";
  }
  body += "]";
  Error e = patch_error(PatchType::kJsonPatch, body);
  EXPECT_EQ(e.code, ErrorCode::kRequestEntityTooLarge);
  EXPECT_EQ(e.message,
            "Request entity too large: The allowed maximum operations in a JSON patch is 10000, "
            "got 10001");
  // Exactly at the limit is fine.
  body = "[";
  for (size_t i = 0; i < kMaxJsonPatchOperations; ++i) {
    if (i) body += ",";
    body += R"({"op":"test","path":"/kind","value":"Deployment"})";
  }
  body += "]";
  EXPECT_TRUE(apply_patch(PatchType::kJsonPatch, live_deployment(), body, deployment()).ok());
}

TEST(ApplyPatch, JsonPatchDecodingErrorsDependOnStrictness) {
  Error strict = patch_error(PatchType::kJsonPatch, R"({"op":"add"})");
  EXPECT_EQ(strict.code, ErrorCode::kBadRequest);
  EXPECT_EQ(strict.message,
            "error decoding patch: json: cannot unmarshal object into Go value of type "
            "[]handlers.jsonPatchOp");
  Error lenient = patch_error(PatchType::kJsonPatch, R"({"op":"add"})", false);
  EXPECT_EQ(lenient.code, ErrorCode::kBadRequest);
  EXPECT_EQ(lenient.message, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  Error op_type = patch_error(PatchType::kJsonPatch, R"([{"op":1,"path":"/a"}])");
  EXPECT_EQ(op_type.message,
            "error decoding patch: json: cannot unmarshal number into Go struct field "
            "jsonPatchOp.op of type string");
  Error syntax = patch_error(PatchType::kJsonPatch, R"([{"op":)");
  EXPECT_EQ(syntax.code, ErrorCode::kBadRequest);
  EXPECT_EQ(syntax.message.rfind("error decoding patch: json: line 1", 0), 0u) << syntax.message;
}

TEST(ApplyPatch, StrictErrorsOfTheBody) {
  Result<PatchResult> jp = apply_patch(
      PatchType::kJsonPatch, live_deployment(),
      R"([{"op":"replace","path":"/spec/replicas","value":2,"pathz":"x","op":"replace"}])",
      deployment());
  ASSERT_TRUE(jp.ok()) << jp.error().message;
  EXPECT_EQ(jp->strict_errors,
            (std::vector<std::string>{R"(json patch duplicate field "[0].op")",
                                      R"(json patch unknown field "[0].pathz")"}));
  Result<PatchResult> smp = apply_patch(PatchType::kStrategicMergePatch, live_deployment(),
                                        R"({"spec":{"replicas":2,"replicas":3}})", deployment());
  ASSERT_TRUE(smp.ok());
  EXPECT_EQ(smp->object["spec"]["replicas"], 3);
  EXPECT_EQ(smp->strict_errors, std::vector<std::string>{R"(duplicate field "spec.replicas")"});
  PatchOptions ignore;
  ignore.strict_decoding = false;
  Result<PatchResult> quiet =
      apply_patch(PatchType::kMergePatch, live_deployment(),
                  R"({"spec":{"replicas":2,"replicas":3}})", deployment(), ignore);
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->strict_errors.empty());
}

TEST(ApplyPatch, MergePatchBodies) {
  Error arr = patch_error(PatchType::kMergePatch, "[1]");
  EXPECT_EQ(arr.code, ErrorCode::kBadRequest);
  EXPECT_EQ(arr.message,
            "error decoding patch: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}");
  Error null = patch_error(PatchType::kMergePatch, "null");
  EXPECT_EQ(null.code, ErrorCode::kBadRequest);
  EXPECT_EQ(null.message, "Invalid JSON Patch");
  Error syntax = patch_error(PatchType::kMergePatch, "{", false);
  EXPECT_EQ(syntax.message, "Invalid JSON Patch");
  // Without strict decoding an array replaces the object, which then cannot be decoded.
  Error not_object = patch_error(PatchType::kMergePatch, "[1]", false);
  EXPECT_EQ(not_object.code, ErrorCode::kInvalid);
  EXPECT_EQ(not_object.message,
            R"( "" is invalid: patch: Invalid value: "[1]": json: cannot unmarshal array into Go )"
            R"(value of type v1.Deployment)");
  ASSERT_EQ(not_object.causes.size(), 1u);
  EXPECT_EQ(not_object.causes[0].field, "patch");
  EXPECT_EQ(not_object.causes[0].reason, "FieldValueInvalid");
}

TEST(ApplyPatch, StrategicMergePatchErrors) {
  Error no_schema = patch_error(PatchType::kStrategicMergePatch, "{}", true, nullptr);
  EXPECT_EQ(no_schema.code, ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(no_schema.message,
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml");
  Error arr = patch_error(PatchType::kStrategicMergePatch, "[]");
  EXPECT_EQ(arr.code, ErrorCode::kBadRequest);
  EXPECT_EQ(arr.message,
            "json: cannot unmarshal array into Go value of type map[string]interface {}");
  Error no_key = patch_error(PatchType::kStrategicMergePatch,
                             R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})");
  EXPECT_EQ(no_key.code, ErrorCode::kInternal);
  EXPECT_EQ(no_key.message, "map: map[image:x] does not contain declared merge key: name");
}

TEST(ApplyPatch, StrategicListOfListsIs422) {
  Json live = live_deployment();
  live["metadata"]["finalizers"] = Json::array({Json::array({"a"})});
  Result<PatchResult> r = apply_patch(PatchType::kStrategicMergePatch, live,
                                      R"({"metadata":{"finalizers":[["b"]]}})", deployment());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(r.error().message, "the server rejected our request due to an error in our request");
  Result<PatchResult> bad_format = apply_patch(PatchType::kStrategicMergePatch, live,
                                               R"({"metadata":{"$retainKeys":"x"}})", deployment());
  ASSERT_FALSE(bad_format.ok());
  EXPECT_EQ(bad_format.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(bad_format.error().message, "invalid patch format of retainKeys");
}

}  // namespace
}  // namespace bosun::api

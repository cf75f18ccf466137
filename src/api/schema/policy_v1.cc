// Schema text of policy/v1's Eviction (k8s.io/api/policy/v1), the body POSTed to a pod's eviction
// subresource. Field facts follow Kubernetes 1.33's Go types; the descriptions are ours. Immutable
// data.
namespace bosun::api::schema {

extern const char kPolicyV1[] = R"schema(
package io.k8s.api.policy.v1

type Eviction gvk=policy/v1/Eviction : A request to evict a pod, subject to its disruption budgets.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Names the pod to evict.
  deleteOptions io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions : Options for the deletion of the pod.
)schema";

}  // namespace bosun::api::schema

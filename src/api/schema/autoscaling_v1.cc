// Schema text of autoscaling/v1's Scale (k8s.io/api/autoscaling/v1), the body of every scale
// subresource. Field facts follow Kubernetes 1.33's Go types; the descriptions are ours. Immutable
// data.
namespace bosun::api::schema {

extern const char kAutoscalingV1[] = R"schema(
package io.k8s.api.autoscaling.v1

type Scale gvk=autoscaling/v1/Scale : The replica count of a scalable resource, read and written through its scale subresource.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Metadata of the scaled object.
  spec ScaleSpec : The desired scale.
  status ScaleStatus : The current scale.

type ScaleSpec : The desired scale.
  replicas int32 : Number of instances wanted.

type ScaleStatus : The current scale.
  replicas int32 required : Number of instances observed.
  selector string : The label selector of the scaled pods, in the string form of a label query.
)schema";

}  // namespace bosun::api::schema

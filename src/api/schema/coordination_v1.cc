// Schema text of coordination.k8s.io/v1 (k8s.io/api/coordination/v1): Lease, used for node
// heartbeats and leader election. Field facts follow Kubernetes 1.33's Go types; the descriptions
// are ours. Immutable data.
namespace bosun::api::schema {

extern const char kCoordinationV1[] = R"schema(
package io.k8s.api.coordination.v1

type Lease gvk=coordination.k8s.io/v1/Lease : A lease held by one holder at a time.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  spec LeaseSpec : The lease itself.

type LeaseList gvk=coordination.k8s.io/v1/LeaseList : A list of Leases.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []Lease required : The Leases.

type LeaseSpec : Who holds a lease and until when.
  holderIdentity string : The current holder.
  leaseDurationSeconds int32 : Seconds after renewTime before others may take the lease.
  acquireTime io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime : When the current holder acquired the lease.
  renewTime io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime : When the current holder last renewed the lease.
  leaseTransitions int32 : How many times the lease changed holders.
  strategy string enum=OldestEmulationVersion : How coordinated leader election picks the holder (alpha).
  preferredHolder string : A better holder the current one should yield to (alpha).
)schema";

}  // namespace bosun::api::schema

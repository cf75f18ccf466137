// Schema text of events.k8s.io/v1 (k8s.io/api/events/v1): Event and EventSeries, the newer shape of
// the events core/v1 also serves. Field facts follow Kubernetes 1.33's Go types; the descriptions
// are ours. Immutable data.
namespace bosun::api::schema {

extern const char kEventsV1[] = R"schema(
package io.k8s.api.events.v1

type Event gvk=events.k8s.io/v1/Event : A report of something that happened in the cluster.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  eventTime io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime required : When the event was first observed.
  series EventSeries : Repeats of this event, when it happened more than once.
  reportingController string : The controller that emitted the event, such as kubernetes.io/kubelet.
  reportingInstance string : The instance of that controller, such as kubelet-node-1.
  action string : What the controller did, or failed to do.
  reason string : Why the action was taken, in CamelCase.
  regarding io.k8s.api.core.v1.ObjectReference : The object the event is about.
  related io.k8s.api.core.v1.ObjectReference : A second object involved, if any.
  note string : Human-readable description, at most 1 kB.
  type string : Normal or Warning.
  deprecatedSource io.k8s.api.core.v1.EventSource : The core/v1 source field, kept for compatibility.
  deprecatedFirstTimestamp io.k8s.apimachinery.pkg.apis.meta.v1.Time : The core/v1 firstTimestamp, kept for compatibility.
  deprecatedLastTimestamp io.k8s.apimachinery.pkg.apis.meta.v1.Time : The core/v1 lastTimestamp, kept for compatibility.
  deprecatedCount int32 : The core/v1 count, kept for compatibility.

type EventList gvk=events.k8s.io/v1/EventList : A list of Events.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []Event required : The Events.

type EventSeries : How often an event has repeated.
  count int32 required : Occurrences so far.
  lastObservedTime io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime required : When it was last seen.
)schema";

}  // namespace bosun::api::schema

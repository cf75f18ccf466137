// Schema text of discovery.k8s.io/v1 (k8s.io/api/discovery/v1): EndpointSlice and its endpoints,
// conditions, topology hints and ports. Field facts follow Kubernetes 1.33's Go types; the
// descriptions are ours. Immutable.
namespace bosun::api::schema {

extern const char kDiscoveryV1[] = R"schema(
package io.k8s.api.discovery.v1

type EndpointSlice gvk=discovery.k8s.io/v1/EndpointSlice : A subset of the endpoints behind a service.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  addressType string required enum=IPv4|IPv6|FQDN : The type of every address in this slice; fixed after creation.
  endpoints []Endpoint required list=atomic : The endpoints, at most 1000.
  ports []EndpointPort list=atomic : The ports every endpoint serves; empty means none are defined.

type EndpointSliceList gvk=discovery.k8s.io/v1/EndpointSliceList : A list of EndpointSlices.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []EndpointSlice required : The EndpointSlices.

type Endpoint : One backend of a service.
  addresses []string required list=set : Its addresses, of the slice's addressType; 1 to 100 of them.
  conditions EndpointConditions : Whether it is ready, serving, terminating.
  hostname string : A DNS label naming it.
  targetRef io.k8s.api.core.v1.ObjectReference : The object behind it, usually a Pod.
  deprecatedTopology map[string]string : Topology from the v1beta1 API; not writable through v1.
  nodeName string : The node hosting it.
  zone string : The zone it runs in.
  hints EndpointHints : How it should be consumed.

type EndpointConditions : The state of an endpoint.
  ready boolean : Ready to receive traffic; never true while terminating.
  serving boolean : Like ready, but set regardless of termination.
  terminating boolean : The endpoint is shutting down.

type EndpointHints : Topology hints for consumers of an endpoint.
  forZones []ForZone list=atomic : Zones that should consume this endpoint.
  forNodes []ForNode list=atomic : Nodes that should consume this endpoint.

type ForZone : A zone that should consume an endpoint.
  name string required : The zone name.

type ForNode : A node that should consume an endpoint.
  name string required : The node name.

type EndpointPort struct=atomic : A port every endpoint in a slice serves.
  name string : The port's name; unique within the slice.
  protocol string enum=SCTP|TCP|UDP : The IP protocol; TCP when unset.
  port int32 : The port number; unset means all ports.
  appProtocol string : The application protocol, such as http or a prefixed custom name.
)schema";

}  // namespace bosun::api::schema

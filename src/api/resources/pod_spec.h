// The PodSpec part of Kubernetes' v1 defaulting and core validation, shared by the Pod strategy
// and by every kind that embeds a pod template (Deployment, ReplicaSet, ReplicationController,
// ...), plus the pod QoS class. Objects are JSON in the v1 shape. Pure functions; safe from any
// thread.
#pragma once

#include <string>
#include <string_view>

#include "common/field_errors.h"
#include "common/json.h"

namespace bosun::api::resources {

// ---- Defaulting (pkg/apis/core/v1/defaults.go and the generated SetObjectDefaults_*).

// SetDefaults_PodSpec and everything below a PodSpec: dnsPolicy ClusterFirst, restartPolicy
// Always, securityContext {}, terminationGracePeriodSeconds 30, schedulerName default-scheduler;
// per container (init, regular, ephemeral) imagePullPolicy from the image tag, the termination
// message path and policy, `resources: {}`, port protocol TCP, probe timings, httpGet path and
// scheme, fieldRef apiVersion, resourceFieldRef divisor; per volume emptyDir when no source is
// given, defaultMode 420 of configMap/secret/downwardAPI/projected, hostPath type "", token
// expirationSeconds 3600; quantities in canonical form. This is what every pod template gets.
void default_pod_spec(Json& spec);
// What only a Pod gets on top (SetDefaults_Pod): requests copied from limits where unset,
// enableServiceLinks true, and with hostNetwork every hostPort set to its containerPort.
void default_pod_only_fields(Json& spec);
// A PodTemplateSpec ({metadata, spec}): default_pod_spec on its spec.
void default_pod_template_spec(Json& pod_template);

// The imagePullPolicy Kubernetes gives a container without one: Always for `:latest` or no tag
// (parsers.ParseImageName reads a missing tag as latest), IfNotPresent otherwise (a tag other than
// latest, a digest without a tag, or an unparsable reference).
std::string_view default_image_pull_policy(std::string_view image);

// ---- Validation (pkg/apis/core/validation), worded and pathed as Kubernetes words them.

struct PodValidationOptions {
  // The spec is a Pod's own (opts.ResourceIsPod): with hostNetwork each hostPort must equal its
  // containerPort, where a template may leave it 0.
  bool resource_is_pod = false;
};

// ValidatePodSpec at `path` ("spec" for a Pod, "spec.template.spec" for a Deployment): volumes,
// containers (names, images, ports, env, mounts, probes, lifecycle, resources requests <= limits,
// security context), init and ephemeral containers, restart and DNS policy, node selector,
// affinity, tolerations, host aliases, DNS config, readiness and scheduling gates, names of the
// service account, node and priority class, activeDeadlineSeconds, hostname, subdomain,
// preemptionPolicy and the OS-specific restrictions. `pod_meta` is the pod's metadata for the
// checks that need its name (generic ephemeral volumes), nullptr for templates.
void validate_pod_spec(const Json& spec, const Json* pod_meta, std::string_view path,
                       const PodValidationOptions& opts, FieldErrors& errs);

// ValidatePodTemplateSpec at `path` ("spec.template"): template labels and annotations, the
// pod-specific annotations, the spec, and no ephemeral containers.
void validate_pod_template_spec(const Json& pod_template, std::string_view path, FieldErrors& errs);

// ValidatePodSpecificAnnotations on `annotations` (path e.g. "metadata.annotations"): the mirror
// pod annotation needs spec.nodeName, the pod deletion cost must be an int32.
void validate_pod_specific_annotations(const Json& annotations, const Json& spec,
                                       std::string_view path, FieldErrors& errs);

// ValidateTolerations at `path`.
void validate_tolerations(const Json& tolerations, std::string_view path, FieldErrors& errs);

// ---- QoS (pkg/apis/core/helper/qos).

// ComputePodQOS over a PodSpec's containers and init containers: "Guaranteed" when every
// container has equal, non-zero cpu and memory requests and limits, "BestEffort" when none sets
// any, else "Burstable".
std::string_view compute_pod_qos(const Json& spec);

// Whether an init container is a sidecar (restartPolicy: Always).
bool is_restartable_init_container(const Json& container);

}  // namespace bosun::api::resources

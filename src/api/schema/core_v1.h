// The schema texts of Kubernetes' core/v1 API group (package io.k8s.api.core.v1), split into three
// constants by topic; the schema registry parses all three into one package. Immutable data,
// safe to read from any thread.
#pragma once

namespace bosun::api::schema {

// Namespace, Node, Service, Endpoints, Event, ConfigMap, Secret, ServiceAccount,
// ReplicationController, ResourceQuota, LimitRange, and the shared reference types.
extern const char kCoreV1[];
// Pod, PodTemplate, Binding and everything a PodSpec and PodStatus reach (volumes excepted).
extern const char kCoreV1Pod[];
// Volume with every volume source, PersistentVolume and PersistentVolumeClaim.
extern const char kCoreV1Volume[];

}  // namespace bosun::api::schema

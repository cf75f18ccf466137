// NamespaceController: Kubernetes' pkg/controller/namespace. A namespace with a deletionTimestamp
// (phase Terminating) has every namespaced object of every served resource deleted
// (deletecollection where served, else one by one; pods first, as OrderedNamespaceDeletion does),
// is re-checked until nothing remains (after about half the pods' grace period), and then loses
// the `kubernetes` finalizer through the namespaces/<name>/finalize subresource, after which the
// API server removes it. Progress is reported in the namespace's deletion conditions
// (NamespaceContentRemaining, NamespaceFinalizersRemaining, ...). Thread-safe: handlers run on the
// namespace informer's thread, reconcile on the workers.
#pragma once

#include <string>
#include <string_view>

#include "controller/controller.h"
#include "controller/controller_utils.h"

namespace bosun::controller {

class NamespaceController final : public Controller {
 public:
  // Registers its handlers on the namespace informer: build before the informers start.
  explicit NamespaceController(ControllerContext context);
  ~NamespaceController() override;

  std::string_view name() const override { return "namespace-controller"; }

  // Key: the namespace's name.
  Result<void> reconcile(const std::string& key) override;

 private:
  struct Pass;
  // deleteAllContent: deletes what it can and reports what remains. The estimate (seconds) says
  // how long the remaining content may take to go.
  Result<int64_t> delete_all_content(const Json& ns, Pass& pass);
  Result<void> delete_resource(const ServedResource& r, std::string_view ns,
                               const Json& namespace_obj, Pass& pass, int64_t* estimate);
  Result<void> update_conditions(const Json& ns, const Pass& pass);
  Result<void> finalize(const Json& ns);

  client::Informer& namespaces_;
};

}  // namespace bosun::controller

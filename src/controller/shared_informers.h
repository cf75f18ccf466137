// SharedInformers: the controllers' name for the process's client::SharedInformerFactory (one
// Informer per resource for all the controllers, and the in-process scheduler of `bosun server`).
// Used by the controller-manager and its controllers; thread-safe.
#pragma once

#include "client/shared_informer_factory.h"

namespace bosun::controller {

using SharedInformers = client::SharedInformerFactory;

}  // namespace bosun::controller

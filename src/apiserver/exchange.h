// Moved to src/http/exchange.h (the HTTP layer the API server and the node agent share); this
// header keeps the API server's includes working. Thread-safety as there.
#pragma once

#include "http/exchange.h"

// Moved to src/http/status.h (the HTTP layer the API server and the node agent share); this header
// keeps the API server's includes working. Thread-safety as there.
#pragma once

#include "http/status.h"

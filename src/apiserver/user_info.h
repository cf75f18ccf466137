// Moved to src/http/user_info.h (the HTTP layer the API server and the node agent share); this
// header keeps the API server's includes working. Thread-safety as there.
#pragma once

#include "http/user_info.h"

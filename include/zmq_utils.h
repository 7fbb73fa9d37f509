/* zmq_utils.h is deprecated: everything it declared is in zmq.h. */
#include "zmq.h"

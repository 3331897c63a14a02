// The C side of the asynchronous retrieve (async.go): pc_retrieve_async with the exported Go
// callback, the request's Go handle carried in user_data. (A file that uses //export may only
// declare C functions in its preamble, hence this file.)
#include <stdint.h>

#include "_cgo_export.h"

uint32_t pcgo_retrieve_async(const pc_provider *p, uintptr_t handle, pc_request **out) {
    return pc_retrieve_async(p, pcgoRetrieveDone, (void *)handle, out);
}

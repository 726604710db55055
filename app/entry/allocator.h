#pragma once

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace lg {

/**
 * A scan allocates and frees buffers of a few MB again and again (list pages, finding blocks), and Qt's PDF engine
 * a 1 MiB one for each page it compresses. Past glibc's mmap threshold (128 KiB by default) each is a fresh mapping
 * whose pages fault in anew, which costs more than the copy on virtual machines: keep them on the heap (32 MiB, the
 * largest threshold mallopt(3) documents) with the freed top kept for the next one. Setting any of these turns off
 * glibc's own adjustment, so the threshold is set first and must hold.
 */
inline void keepLargeBuffersOnHeap()
{
#ifdef __GLIBC__
    if (mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1) {
        mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
        mallopt(M_TOP_PAD, 16 * 1024 * 1024);
    }
#endif
}

} // namespace lg

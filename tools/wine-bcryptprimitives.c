/* bcryptprimitives.dll for running test programs under Wine 8, which does not have it.
 *
 * Rust's std (1.78 and later) and Go (1.21 and later) import ProcessPrng from
 * bcryptprimitives.dll on Windows; without it, Wine 8 refuses to start their programs. The
 * library itself does not need this file (src/winprng.rs satisfies std's import); the test
 * programs built by cargo do. mk/windows.mk puts the DLL next to them: it is never shipped. */
#include <windows.h>

/* RtlGenRandom, exported by advapi32 under this name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}

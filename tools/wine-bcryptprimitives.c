/* bcryptprimitives.dll for running the tests under Wine 8.0-8.12, which do not have it.
 *
 * Rust's std (1.78 and later) and Go (1.21 and later) import ProcessPrng from
 * bcryptprimitives.dll on Windows; without it, those Wine versions refuse to start their
 * programs (processcreds.dll and everything linked with the library among them). Windows 10 and
 * Wine 8.13 and later have the DLL. tools/wine-prefix installs this one in the test prefix
 * (build/wineprefix): it is never shipped. */
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

/*
 * b64.c - strict base64 decoding (kubeconfig certificate/key data).
 */
#include <stdlib.h>

#include "base/buf.h"
#include "kube/b64.h"

/* Value of one base64 character, or -1. */
static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

as_status as_kube_b64_decode(const char *in, size_t len, char **out, size_t *out_len,
                             size_t *bad_offset)
{
    char *buf = malloc(len / 4 * 3 + 4);
    unsigned acc = 0;
    int bits = 0, pad = 0;
    size_t n = 0, i;

    if (!buf)
        return AS_E_NOMEM;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        int v;
        if (ch == '\r' || ch == '\n')
            continue;
        if (ch == '=') {
            pad++;
            if (pad > 2)
                goto bad;
            continue;
        }
        v = b64_value(ch);
        if (v < 0 || pad > 0)
            goto bad;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    /* 1 leftover character (6 bits) cannot encode a byte; padding must complete the quantum. */
    if (bits == 6 || (pad && !((bits == 4 && pad == 2) || (bits == 2 && pad == 1))))
        goto bad_end;
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return AS_OK;
bad_end:
    i = len;
bad:
    as_memwipe(buf, n); /* the bytes decoded so far may be secret */
    free(buf);
    *bad_offset = i;
    return AS_E_PARSE;
}

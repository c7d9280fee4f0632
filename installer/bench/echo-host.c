/* The floor: the smallest possible native-messaging host. Reads one frame, answers a fixed hello result. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    static char buf[1 << 16];
    uint32_t len;
    if (read(0, &len, 4) != 4 || len > sizeof buf) return 1;
    for (uint32_t off = 0; off < len;) {
        ssize_t r = read(0, buf + off, len - off);
        if (r <= 0) return 1;
        off += (uint32_t) r;
    }
    const char *reply = "{\"id\":\"1\",\"result\":{\"host\":\"c\",\"protocol\":\"1.0.0\",\"operations\":[\"hello\"]}}";
    uint32_t rlen = (uint32_t) strlen(reply);
    write(1, &rlen, 4);
    write(1, reply, rlen);
    return 0;
}

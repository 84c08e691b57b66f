// epoll for the benchmark's fan-out floor (Glibc's Swift module leaves it out).
#include <sys/epoll.h>

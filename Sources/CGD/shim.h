// libgd: decoding, scaling and encoding pictures for thumbnails (Debian's libgd-dev).
#include <gd.h>

#ifndef DMS_CRDKAFKA_SHIM_H
#define DMS_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#endif

/* common/embedded.h — files compiled into the binary by cmake/embed.cmake: the law presets
 * (every JSON file in datasets/laws/) and the shapes of well-known models (examples/models/).
 * Each table ends with {NULL, NULL}; names are file stems. */
#ifndef DW_EMBEDDED_H
#define DW_EMBEDDED_H

typedef struct {
    const char *name;
    const char *text;
} DwEmbedded;

extern const DwEmbedded dw_law_presets[];
extern const DwEmbedded dw_model_shapes[];

#endif

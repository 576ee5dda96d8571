/* yamldoc: reading a YAML document (libyaml) the way the infra checks need:
 * a whole file, a mapping's member, a scalar's text. */
#ifndef YAMLDOC_H
#define YAMLDOC_H

#include <yaml.h>

/* 0 with doc loaded (free with yaml_document_delete), or -1. */
int yamldoc_load(const char *path, yaml_document_t *doc);
/* map's member key, or NULL (map NULL or not a mapping, key absent). */
yaml_node_t *yamldoc_get(yaml_document_t *d, yaml_node_t *map, const char *key);
/* n's text when it is a scalar, else NULL. */
const char *yamldoc_scalar(yaml_node_t *n);

#endif

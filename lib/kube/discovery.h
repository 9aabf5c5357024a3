/*
 * discovery.h - which API groups and resources the server offers, cached.
 *
 * as_kube_discovery_refresh reads /api and /apis (the group list with
 * versions); each group/version's resource list is fetched on first use and
 * cached until the next refresh. Used to detect optional integrations
 * (cert-manager, prometheus-operator, Gateway API, PolicyReport) and to map
 * kinds that are not in the static resource table. Thread-safe.
 */
#ifndef AS_KUBE_DISCOVERY_H
#define AS_KUBE_DISCOVERY_H

#include <stdbool.h>

#include <jansson.h>

#include "base/status.h"
#include "kube/client.h"
#include "kube/resource.h"

struct as_kube_discovery;

/* Creates an empty cache bound to c (borrowed; must outlive the cache). */
as_status as_kube_discovery_new(struct as_kube_client *c, struct as_kube_discovery **out,
                                struct as_error *err);

void as_kube_discovery_free(struct as_kube_discovery *d);

/*
 * Re-reads the group list and drops cached resource lists. On failure the
 * previous cache is kept.
 */
as_status as_kube_discovery_refresh(struct as_kube_discovery *d, struct as_error *err);

/*
 * Sets *out to whether group ("" = core) serves version. Refreshes first when
 * the cache is empty.
 */
as_status as_kube_discovery_has_group_version(struct as_kube_discovery *d, const char *group,
                                              const char *version, bool *out, struct as_error *err);

/*
 * Sets *out to whether group/version serves plural (e.g. "cert-manager.io",
 * "v1", "certificates"). A group/version the server does not offer is false,
 * not an error.
 */
as_status as_kube_discovery_has_resource(struct as_kube_discovery *d, const char *group,
                                         const char *version, const char *plural, bool *out,
                                         struct as_error *err);

/*
 * Finds kind in group (any served version, the preferred version first) and
 * fills *out. The strings in *out are owned by the cache and stay valid until
 * as_kube_discovery_free (refreshes keep old strings alive). AS_E_API_NOT_FOUND
 * when the server does not serve the kind.
 */
as_status as_kube_discovery_find_kind(struct as_kube_discovery *d, const char *group,
                                      const char *kind, struct as_kube_resource *out,
                                      struct as_error *err);

/*
 * Offline feeding (tests, and callers that already hold the documents):
 * group_list is an APIGroupList (/apis) or APIVersions (/api) object;
 * resource_list an APIResourceList for group/version. Both borrowed.
 */
as_status as_kube_discovery_add_groups(struct as_kube_discovery *d, const json_t *group_list,
                                       struct as_error *err);
as_status as_kube_discovery_add_resources(struct as_kube_discovery *d, const char *group,
                                          const char *version, const json_t *resource_list,
                                          struct as_error *err);

#endif

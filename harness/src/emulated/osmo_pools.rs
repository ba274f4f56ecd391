//! EMULATED: OSMO's pool visibility, as the OSMO Keycloak guide states it:
//! "Pool access roles must start with `osmo-` prefix ... Pool names must match
//! the role suffix. Example: Role `osmo-team1` will make pools named `team1*`
//! visible" (and `osmo-group1` grants the `group1-*` pools). The OSMO service
//! cannot run here; the harness applies that rule to the roles the emulated
//! Envoy hop passed on (`x-osmo-roles`) and labels the result `[emulated]`.

/// The prefix the guide requires of pool access roles.
pub const ROLE_PREFIX: &str = "osmo-";

/// The pools of `pools` that `roles` make visible, in the given order.
pub fn visible_pools(roles: &[String], pools: &[String]) -> Vec<String> {
    let suffixes: Vec<&str> = roles
        .iter()
        .filter_map(|r| r.strip_prefix(ROLE_PREFIX))
        .filter(|s| !s.is_empty())
        .collect();
    pools
        .iter()
        .filter(|p| suffixes.iter().any(|s| p.starts_with(s)))
        .cloned()
        .collect()
}

/// Roles that look meant for a pool (a pool starts with the role's name) but
/// lack the `osmo-` prefix, so they make nothing visible.
pub fn unprefixed_pool_roles(roles: &[String], pools: &[String]) -> Vec<String> {
    roles
        .iter()
        .filter(|r| !r.starts_with(ROLE_PREFIX))
        .filter(|r| pools.iter().any(|p| p.starts_with(r.as_str())))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_guides_examples() {
        let pools = s(&["group1-h100-gpu", "team1-a100", "team10-cpu", "default"]);
        assert_eq!(
            visible_pools(&s(&["osmo-group1"]), &pools),
            s(&["group1-h100-gpu"])
        );
        // `team1*`, as the guide says: team10-cpu matches the prefix too.
        assert_eq!(
            visible_pools(&s(&["osmo-team1"]), &pools),
            s(&["team1-a100", "team10-cpu"])
        );
        assert!(visible_pools(&s(&["group1"]), &pools).is_empty());
        assert_eq!(
            unprefixed_pool_roles(&s(&["group1", "osmo-user"]), &pools),
            s(&["group1"])
        );
    }
}

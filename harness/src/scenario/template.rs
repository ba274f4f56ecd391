//! Renders `{{ ... }}` template values in every string of a scenario (minijinja,
//! strict: an unknown name is an error that names it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use minijinja::value::{Object, Value as JValue};
use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

use crate::error::{Error, Result};

/// The run-specific values a scenario may refer to.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Values {
    pub keycloak: BTreeMap<String, String>,
    pub dex: BTreeMap<String, String>,
    pub app: BTreeMap<String, String>,
    pub tls: BTreeMap<String, String>,
    pub kubelogin: BTreeMap<String, String>,
    /// The environment kubectl and kubelogin run with (`HOME`).
    pub env: BTreeMap<String, String>,
    pub oauth2_proxy: BTreeMap<String, String>,
    pub gateway: BTreeMap<String, String>,
    pub upstream: BTreeMap<String, String>,
}

/// `secret.<name>`: a random value per name, the same wherever it is used.
#[derive(Debug, Default)]
pub struct Secrets(Mutex<BTreeMap<String, String>>);

impl Object for Secrets {
    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        let name = key.as_str()?.to_string();
        let mut map = self.0.lock().expect("not poisoned");
        let secret = map
            .entry(name)
            .or_insert_with(|| crate::infra::oidc::random_token(32))
            .clone();
        Some(JValue::from(secret))
    }
}

pub struct Renderer {
    env: Environment<'static>,
    context: JValue,
}

impl Renderer {
    pub fn new(values: &Values) -> Renderer {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let mut ctx: BTreeMap<&str, JValue> = BTreeMap::new();
        ctx.insert("keycloak", JValue::from_serialize(&values.keycloak));
        ctx.insert("dex", JValue::from_serialize(&values.dex));
        ctx.insert("app", JValue::from_serialize(&values.app));
        ctx.insert("tls", JValue::from_serialize(&values.tls));
        ctx.insert("kubelogin", JValue::from_serialize(&values.kubelogin));
        ctx.insert("env", JValue::from_serialize(&values.env));
        ctx.insert("oauth2_proxy", JValue::from_serialize(&values.oauth2_proxy));
        ctx.insert("gateway", JValue::from_serialize(&values.gateway));
        ctx.insert("upstream", JValue::from_serialize(&values.upstream));
        ctx.insert("secret", JValue::from_object(Secrets::default()));
        Renderer {
            env,
            context: JValue::from(ctx),
        }
    }

    /// Renders every string in `v`; `where_` names the part for errors.
    pub fn render(&self, v: &Value, where_: &str) -> Result<Value> {
        Ok(match v {
            Value::String(s) if s.contains("{{") => Value::String(
                self.env
                    .render_str(s, &self.context)
                    .map_err(|e| Error::step("template", format!("{where_}: `{s}`: {e}")))?,
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.render(i, where_))
                    .collect::<Result<_>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.render(v, where_)?)))
                    .collect::<Result<_>>()?,
            ),
            other => other.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_stable_per_name_and_unknowns_fail() {
        let mut values = Values::default();
        values
            .dex
            .insert("issuer".into(), "https://127.9.9.9:1/dex".into());
        let r = Renderer::new(&values);
        let v = r
            .render(
                &serde_json::json!({"a": "{{ secret.x }}", "b": ["{{ secret.x }}"], "c": "{{ dex.issuer }}/callback"}),
                "t",
            )
            .unwrap();
        assert_eq!(v["a"], v["b"][0]);
        assert_eq!(v["a"].as_str().unwrap().len(), 32);
        assert_eq!(v["c"], "https://127.9.9.9:1/dex/callback");
        let err = r
            .render(&serde_json::json!("{{ dex.isuer }}"), "dex.config")
            .unwrap_err();
        assert!(err.to_string().contains("dex.config"), "{err}");
    }
}

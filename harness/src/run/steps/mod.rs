//! How each step kind runs: one file per family, each step type implementing
//! [`Perform`] over the case's [`StepCx`]. The dispatch is generated from the
//! one list of step kinds (`model::steps::step_kinds!`).

use crate::error::Result;
use crate::model::report::StepReport;
use crate::model::steps::*;

use super::cx::StepCx;

mod device;
mod dexstart;
mod discovery;
mod envoy;
mod kube;
mod kubelogin;
mod login;
mod proxy;
mod tokens;
mod users;

pub(crate) use dexstart::{Startup, start_dex, start_ingress};
pub(crate) use kubelogin::ExecUser;
pub(crate) use proxy::{Front, start_front};

/// A step kind's behaviour.
pub(crate) trait Perform {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport>;
}

macro_rules! dispatch {
    ($($verb:ident($ty:ty),)*) => {
        /// Runs one step.
        pub(crate) async fn perform(step: &Step, cx: &mut StepCx<'_>) -> Result<StepReport> {
            match step {
                $(Step::$verb(s) => s.perform(cx).await,)*
            }
        }
    };
}
crate::step_kinds!(dispatch);

//! How many of something each user holds at once (exports streaming, page renders running or
//! waiting): a count per user that each holder gives back when dropped, however its work ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

#[derive(Clone, Default)]
pub struct PerUser(Arc<Mutex<HashMap<Uuid, usize>>>);

/// One place held by a user, given back when dropped.
pub struct Held {
    counts: PerUser,
    user: Uuid,
}

impl PerUser {
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, usize>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for `user`, whatever they hold already.
    pub fn take(&self, user: Uuid) -> Held {
        *self.counts().entry(user).or_insert(0) += 1;
        Held { counts: self.clone(), user }
    }

    /// A place for `user` if they hold fewer than `limit`.
    pub fn take_below(&self, user: Uuid, limit: usize) -> Option<Held> {
        let mut counts = self.counts();
        let held = counts.entry(user).or_insert(0);
        if *held >= limit {
            if *held == 0 {
                counts.remove(&user);
            }
            return None;
        }
        *held += 1;
        Some(Held { counts: self.clone(), user })
    }

    /// How many places `user` holds.
    pub fn held(&self, user: Uuid) -> usize {
        self.counts().get(&user).copied().unwrap_or(0)
    }

    /// Whether nobody holds anything (tests).
    pub fn is_empty(&self) -> bool {
        self.counts().is_empty()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self.counts.counts();
        match counts.get_mut(&self.user) {
            Some(n) if *n > 1 => *n -= 1,
            _ => {
                counts.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_user_and_given_back_when_dropped() {
        let counts = PerUser::default();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let a1 = counts.take_below(a, 2).unwrap();
        let a2 = counts.take(a);
        assert!(counts.take_below(a, 2).is_none(), "a holds its limit");
        let b1 = counts.take_below(b, 2).unwrap();
        assert_eq!((counts.held(a), counts.held(b)), (2, 1));
        drop(a1);
        assert_eq!(counts.held(a), 1);
        assert!(counts.take_below(b, 0).is_none());
        drop((a2, b1));
        assert!(counts.is_empty(), "nobody is left counted");
    }
}

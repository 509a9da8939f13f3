//! The reactor's timers: one heap of (deadline, connection) for all of them. An entry left
//! behind by a deadline that moved only polls its driver once for nothing.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::task::Context;
use std::time::Instant;

use crate::connection::timer::Timer;

#[derive(Default)]
pub(crate) struct Timers(Rc<RefCell<BinaryHeap<Reverse<(Instant, usize)>>>>);

impl Timers {
    pub(crate) fn timer(&self, index: usize) -> ReactorTimer {
        ReactorTimer { heap: self.0.clone(), index, armed: None }
    }

    /// The connections whose deadline has passed.
    pub(crate) fn take_due(&self, now: Instant) -> Vec<usize> {
        let mut heap = self.0.borrow_mut();
        let mut due = Vec::new();
        while heap.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            due.push(heap.pop().expect("peeked").0 .1);
        }
        due
    }

    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.borrow().peek().map(|Reverse((at, _))| *at)
    }
}

pub(crate) struct ReactorTimer {
    heap: Rc<RefCell<BinaryHeap<Reverse<(Instant, usize)>>>>,
    index: usize,
    armed: Option<Instant>,
}

impl Timer for ReactorTimer {
    fn poll_at(&mut self, at: Option<Instant>, _: &mut Context<'_>) -> bool {
        let Some(at) = at else {
            self.armed = None;
            return false;
        };
        if Instant::now() >= at {
            self.armed = None;
            return true;
        }
        if self.armed != Some(at) {
            self.heap.borrow_mut().push(Reverse((at, self.index)));
            self.armed = Some(at);
        }
        false
    }
}

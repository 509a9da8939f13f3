//! The reactor's timers: one heap of (deadline, connection) for all of them. An entry left
//! behind by a deadline that moved only polls its driver once for nothing. The clock is read
//! once per round of polls ([`Timers::tick`]), not once per connection.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::task::Context;
use std::time::Instant;

use crate::connection::timer::Timer;

type Heap = Rc<RefCell<BinaryHeap<Reverse<(Instant, usize)>>>>;

pub(crate) struct Timers {
    heap: Heap,
    now: Rc<Cell<Instant>>,
}

impl Default for Timers {
    fn default() -> Self {
        Timers { heap: Heap::default(), now: Rc::new(Cell::new(Instant::now())) }
    }
}

impl Timers {
    pub(crate) fn timer(&self, index: usize) -> ReactorTimer {
        ReactorTimer { heap: self.heap.clone(), now: self.now.clone(), index, armed: None }
    }

    /// Reads the clock for the round of polls that follows.
    pub(crate) fn tick(&self) -> Instant {
        let now = Instant::now();
        self.now.set(now);
        now
    }

    /// The connections whose deadline has passed.
    pub(crate) fn take_due(&self, now: Instant) -> Vec<usize> {
        let mut heap = self.heap.borrow_mut();
        let mut due = Vec::new();
        while heap.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            due.push(heap.pop().expect("peeked").0 .1);
        }
        due
    }

    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.borrow().peek().map(|Reverse((at, _))| *at)
    }
}

pub(crate) struct ReactorTimer {
    heap: Heap,
    now: Rc<Cell<Instant>>,
    index: usize,
    armed: Option<Instant>,
}

impl Timer for ReactorTimer {
    fn poll_at(&mut self, at: Option<Instant>, _: &mut Context<'_>) -> bool {
        let Some(at) = at else {
            self.armed = None;
            return false;
        };
        if self.now.get() >= at {
            self.armed = None;
            return true;
        }
        if self.armed != Some(at) {
            self.heap.borrow_mut().push(Reverse((at, self.index)));
            self.armed = Some(at);
        }
        false
    }

    fn now(&self) -> Instant {
        self.now.get()
    }
}

//! A buyer's rating of a completed order (stream `review-<order id>`): quality, delivery and
//! service from 1 to 5, once per order. Low ratings are flagged so they can feed warnings.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp};
use crate::ids::{CompanyId, OrderId, SupplierId, UserId};

/// The longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReviewState {
    pub rated: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    pub order: OrderId,
    pub company: CompanyId,
    pub buyer: UserId,
    pub supplier: SupplierId,
    /// Whether the caller found the order completed and placed by `company`.
    pub order_completed_for_company: bool,
    pub quality: u8,
    pub delivery: u8,
    pub service: u8,
    pub comment: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderRated {
    pub order: OrderId,
    pub company: CompanyId,
    pub buyer: UserId,
    pub supplier: SupplierId,
    pub quality: u8,
    pub delivery: u8,
    pub service: u8,
    pub comment: String,
    /// The average is 2 or below.
    pub low: bool,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ReviewEvent {
    OrderRated(OrderRated),
}
crate::event_names!(ReviewEvent { OrderRated });

impl DomainEvent for ReviewEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReviewError {
    #[error("this order has already been rated")]
    AlreadyRated,
    #[error("only a completed order of your company can be rated")]
    NotRateable,
    #[error("scores go from 1 to 5")]
    BadScore,
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
}

pub struct Review;

impl Aggregate for Review {
    type State = ReviewState;
    type Command = Rate;
    type Event = ReviewEvent;
    type Error = ReviewError;
    const KIND: &'static str = "review";

    fn decide(state: &ReviewState, c: Rate) -> Result<Vec<ReviewEvent>, ReviewError> {
        if state.rated {
            return Err(ReviewError::AlreadyRated);
        }
        if !c.order_completed_for_company {
            return Err(ReviewError::NotRateable);
        }
        if [c.quality, c.delivery, c.service]
            .iter()
            .any(|s| !(1..=5).contains(s))
        {
            return Err(ReviewError::BadScore);
        }
        if c.comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(ReviewError::CommentTooLong);
        }
        let low = u32::from(c.quality) + u32::from(c.delivery) + u32::from(c.service) <= 6;
        Ok(vec![ReviewEvent::OrderRated(OrderRated {
            order: c.order,
            company: c.company,
            buyer: c.buyer,
            supplier: c.supplier,
            quality: c.quality,
            delivery: c.delivery,
            service: c.service,
            comment: c.comment,
            low,
            at: c.at,
        })])
    }

    fn evolve(_state: ReviewState, _event: &ReviewEvent) -> ReviewState {
        ReviewState { rated: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn rate(q: u8, d: u8, s: u8) -> Rate {
        Rate {
            order: OrderId(Uuid::from_u128(1)),
            company: CompanyId(Uuid::from_u128(2)),
            buyer: UserId(Uuid::from_u128(3)),
            supplier: SupplierId(Uuid::from_u128(4)),
            order_completed_for_company: true,
            quality: q,
            delivery: d,
            service: s,
            comment: "准时到货".into(),
            at: 0,
        }
    }

    #[test]
    fn a_completed_order_is_rated_once_with_scores_from_one_to_five() {
        let events = Review::decide(&ReviewState::default(), rate(5, 4, 5)).unwrap();
        assert!(matches!(&events[0], ReviewEvent::OrderRated(r) if !r.low));
        let state = Review::replay(&events);
        assert_eq!(
            Review::decide(&state, rate(5, 5, 5)),
            Err(ReviewError::AlreadyRated)
        );
        assert_eq!(
            Review::decide(&ReviewState::default(), rate(0, 5, 5)),
            Err(ReviewError::BadScore)
        );
        assert_eq!(
            Review::decide(&ReviewState::default(), rate(6, 5, 5)),
            Err(ReviewError::BadScore)
        );
        let low = Review::decide(&ReviewState::default(), rate(2, 2, 2)).unwrap();
        assert!(matches!(&low[0], ReviewEvent::OrderRated(r) if r.low));
        let mut not_done = rate(5, 5, 5);
        not_done.order_completed_for_company = false;
        assert_eq!(
            Review::decide(&ReviewState::default(), not_done),
            Err(ReviewError::NotRateable)
        );
        let mut long = rate(5, 5, 5);
        long.comment = "好".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            Review::decide(&ReviewState::default(), long),
            Err(ReviewError::CommentTooLong)
        );
    }
}

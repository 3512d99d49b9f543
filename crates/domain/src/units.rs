//! Units of measure for product attributes. A value typed in any unit the category's dimension
//! knows (5/16 in, 0.8 cm) is converted to the category's base unit (mm) on the way in, so every
//! stored and searched number is comparable.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dimension {
    Length,
    Mass,
    Pressure,
    Torque,
    Force,
    Temperature,
    Count,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    Millimetre,
    Centimetre,
    Metre,
    Inch,
    Gram,
    Kilogram,
    Pound,
    Bar,
    Megapascal,
    Psi,
    NewtonMetre,
    Newton,
    Kilonewton,
    Celsius,
    Piece,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnitError {
    #[error("{from:?} cannot be converted to {to:?}: different dimensions")]
    Incompatible { from: Unit, to: Unit },
    #[error("{0:?} is not a number with a unit (try \"8 mm\" or \"5/16 in\")")]
    Unparseable(String),
    #[error("unknown unit {0:?}")]
    UnknownUnit(String),
}

impl Unit {
    pub fn dimension(self) -> Dimension {
        use Unit::*;
        match self {
            Millimetre | Centimetre | Metre | Inch => Dimension::Length,
            Gram | Kilogram | Pound => Dimension::Mass,
            Bar | Megapascal | Psi => Dimension::Pressure,
            NewtonMetre => Dimension::Torque,
            Newton | Kilonewton => Dimension::Force,
            Celsius => Dimension::Temperature,
            Piece => Dimension::Count,
        }
    }

    /// How many of the dimension's reference unit (mm, g, bar, N·m, N, °C, piece) one of this is.
    fn factor(self) -> f64 {
        use Unit::*;
        match self {
            Millimetre => 1.0,
            Centimetre => 10.0,
            Metre => 1000.0,
            Inch => 25.4,
            Gram => 1.0,
            Kilogram => 1000.0,
            Pound => 453.592_37,
            Bar => 1.0,
            Megapascal => 10.0,
            Psi => 0.068_947_572_9,
            NewtonMetre => 1.0,
            Newton => 1.0,
            Kilonewton => 1000.0,
            Celsius => 1.0,
            Piece => 1.0,
        }
    }

    pub fn symbol(self) -> &'static str {
        use Unit::*;
        match self {
            Millimetre => "mm",
            Centimetre => "cm",
            Metre => "m",
            Inch => "in",
            Gram => "g",
            Kilogram => "kg",
            Pound => "lb",
            Bar => "bar",
            Megapascal => "MPa",
            Psi => "psi",
            NewtonMetre => "N·m",
            Newton => "N",
            Kilonewton => "kN",
            Celsius => "°C",
            Piece => "pcs",
        }
    }

    pub fn from_symbol(symbol: &str) -> Result<Unit, UnitError> {
        use Unit::*;
        let unit = match symbol.trim().to_lowercase().as_str() {
            "mm" | "毫米" => Millimetre,
            "cm" | "厘米" => Centimetre,
            "m" | "米" => Metre,
            "in" | "inch" | "\"" | "英寸" => Inch,
            "g" | "克" => Gram,
            "kg" | "千克" | "公斤" => Kilogram,
            "lb" | "lbs" => Pound,
            "bar" => Bar,
            "mpa" => Megapascal,
            "psi" => Psi,
            "n·m" | "nm" | "n.m" => NewtonMetre,
            "n" => Newton,
            "kn" => Kilonewton,
            "°c" | "c" => Celsius,
            "pcs" | "pc" | "个" | "件" => Piece,
            other => return Err(UnitError::UnknownUnit(other.to_string())),
        };
        Ok(unit)
    }

    /// Converts `value` of this unit into `to`.
    pub fn convert(self, value: f64, to: Unit) -> Result<f64, UnitError> {
        if self.dimension() != to.dimension() {
            return Err(UnitError::Incompatible { from: self, to });
        }
        Ok(value * self.factor() / to.factor())
    }
}

/// A number with its unit, as a person typed it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub value: f64,
    pub unit: Unit,
}

impl Measure {
    pub fn new(value: f64, unit: Unit) -> Self {
        Self { value, unit }
    }

    /// Parses `8 mm`, `8mm`, `0.75 in`, `5/16 in`, `1-1/4 in`.
    pub fn parse(text: &str) -> Result<Measure, UnitError> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '/' || c == '-' || c == ' '))
            .ok_or_else(|| UnitError::Unparseable(text.to_string()))?;
        let (number, unit) = text.split_at(split);
        let value =
            parse_number(number.trim()).ok_or_else(|| UnitError::Unparseable(text.to_string()))?;
        Ok(Measure::new(value, Unit::from_symbol(unit)?))
    }

    /// This measure in `unit`.
    pub fn in_unit(self, unit: Unit) -> Result<f64, UnitError> {
        self.unit.convert(self.value, unit)
    }
}

/// A number as people read it: at most six decimals, without trailing zeros, so that a
/// conversion's rounding error (1-1/2 in = 38.099999999999994 mm) reads `38.1`.
pub fn for_people(v: f64) -> String {
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// `8`, `0.75`, `5/16`, `1-1/4` (a whole number and a fraction).
fn parse_number(text: &str) -> Option<f64> {
    let fraction = |t: &str| -> Option<f64> {
        match t.split_once('/') {
            Some((n, d)) => {
                let d: f64 = d.trim().parse().ok()?;
                (d != 0.0).then_some(n.trim().parse::<f64>().ok()? / d)
            }
            None => t.trim().parse().ok(),
        }
    };
    let value = match text.split_once('-') {
        Some((whole, frac)) if !whole.is_empty() => {
            whole.trim().parse::<f64>().ok()? + fraction(frac)?
        }
        _ => fraction(text)?,
    };
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn inches_convert_to_millimetres() {
        let m = Measure::parse("5/16 in").unwrap();
        assert!(close(m.in_unit(Unit::Millimetre).unwrap(), 7.9375));
        let m = Measure::parse("1-1/4 in").unwrap();
        assert!(close(m.in_unit(Unit::Millimetre).unwrap(), 31.75));
        let m = Measure::parse("8mm").unwrap();
        assert!(close(m.in_unit(Unit::Millimetre).unwrap(), 8.0));
        let m = Measure::parse("0.8 cm").unwrap();
        assert!(close(m.in_unit(Unit::Millimetre).unwrap(), 8.0));
        let m = Measure::parse("10 MPa").unwrap();
        assert!(close(m.in_unit(Unit::Bar).unwrap(), 100.0));
    }

    #[test]
    fn numbers_read_without_conversion_noise() {
        let m = Measure::parse("1-1/2 in")
            .unwrap()
            .in_unit(Unit::Millimetre)
            .unwrap();
        assert_eq!(for_people(m), "38.1");
        assert_eq!(for_people(7.9375), "7.9375");
        assert_eq!(for_people(20.0), "20");
        assert_eq!(for_people(0.0005), "0.0005");
        assert_eq!(for_people(-0.0000001), "0");
        assert_eq!(for_people(1_250_000.0), "1250000");
    }

    #[test]
    fn nonsense_and_mixed_dimensions_are_refused() {
        assert!(matches!(
            Measure::parse("mm"),
            Err(UnitError::Unparseable(_))
        ));
        assert!(matches!(
            Measure::parse("8 furlongs"),
            Err(UnitError::UnknownUnit(_))
        ));
        assert!(matches!(
            Measure::parse("1/0 in"),
            Err(UnitError::Unparseable(_))
        ));
        assert!(matches!(
            Unit::Kilogram.convert(1.0, Unit::Millimetre),
            Err(UnitError::Incompatible { .. })
        ));
    }
}

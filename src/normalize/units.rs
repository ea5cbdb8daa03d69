//! Units of measure. ERPs spell the same unit "EA", "EACH" or "PCS"; item matching and
//! pack-size comparison need one code per unit.

use super::text;

/// Canonical uppercase unit code; unknown units are returned as uppercase letters and digits
/// (not an error: new units appear in source data all the time).
pub fn standardize(raw: &str) -> String {
    let key = text::alnum_upper(raw);
    canonical(&key).map_or(key, str::to_string)
}

/// Canonical code for an uppercase alphanumeric unit spelling, if it is a known unit.
pub fn canonical(key: &str) -> Option<&'static str> {
    Some(match key {
        "EA" | "EACH" | "EACHES" | "UNIT" | "UNITS" | "PC" | "PCS" | "PIECE" | "PIECES" => "EA",
        "BX" | "BOX" | "BOXES" => "BX",
        "CS" | "CASE" | "CASES" => "CS",
        "PK" | "PACK" | "PACKS" | "PKG" | "PACKAGE" | "PACKAGES" => "PK",
        "DZ" | "DOZ" | "DOZEN" => "DZ",
        "PR" | "PAIR" | "PAIRS" => "PR",
        "BG" | "BAG" | "BAGS" => "BG",
        "BT" | "BTL" | "BOTTLE" | "BOTTLES" => "BT",
        "KT" | "KIT" | "KITS" => "KT",
        "RL" | "ROLL" | "ROLLS" => "RL",
        "ST" | "SET" | "SETS" => "ST",
        "CT" | "CTN" | "CARTON" | "CARTONS" => "CT",
        "TB" | "TUBE" | "TUBES" => "TB",
        "VL" | "VIAL" | "VIALS" => "VL",
        "ML" | "MILLILITER" | "MILLILITRE" | "MILLILITERS" | "MILLILITRES" => "ML",
        "L" | "LT" | "LTR" | "LITER" | "LITRE" | "LITERS" | "LITRES" => "L",
        "G" | "GM" | "GR" | "GRAM" | "GRAMS" => "G",
        "KG" | "KGS" | "KILO" | "KILOGRAM" | "KILOGRAMS" => "KG",
        "LB" | "LBS" | "POUND" | "POUNDS" => "LB",
        "OZ" | "OUNCE" | "OUNCES" => "OZ",
        "M" | "MTR" | "METER" | "METRE" | "METERS" | "METRES" => "M",
        "CM" | "CENTIMETER" | "CENTIMETRE" | "CENTIMETERS" | "CENTIMETRES" => "CM",
        "MM" | "MILLIMETER" | "MILLIMETRE" | "MILLIMETERS" | "MILLIMETRES" => "MM",
        "FT" | "FOOT" | "FEET" => "FT",
        "IN" | "INCH" | "INCHES" => "IN",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::standardize as s;

    #[test]
    fn synonyms_collapse() {
        let cases = [
            ("each", "EA"),
            ("Eaches", "EA"),
            ("pcs.", "EA"),
            ("Piece", "EA"),
            ("unit", "EA"),
            ("Box", "BX"),
            ("cases", "CS"),
            ("PKG", "PK"),
            ("Package", "PK"),
            ("dozen", "DZ"),
            ("pair", "PR"),
            ("bag", "BG"),
            ("Btl", "BT"),
            ("kit", "KT"),
            ("roll", "RL"),
            ("set", "ST"),
            ("carton", "CT"),
            ("tube", "TB"),
            ("vial", "VL"),
            ("ml", "ML"),
            ("Ltr", "L"),
            ("liter", "L"),
            ("gm", "G"),
            ("gram", "G"),
            ("kg", "KG"),
            ("lbs", "LB"),
            ("oz", "OZ"),
            ("m", "M"),
            ("cm", "CM"),
            ("mm", "MM"),
            ("ft", "FT"),
            ("in.", "IN"),
        ];
        for (raw, code) in cases {
            assert_eq!(s(raw), code, "{raw}");
        }
    }

    #[test]
    fn unknown_units_pass_through() {
        assert_eq!(s("drum"), "DRUM");
        assert_eq!(s("pallet-48"), "PALLET48");
        assert_eq!(s(" "), "");
    }
}

//! The squarified treemap layout of the size page.

/// A rectangle of the treemap, in page pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// Squarified treemap layout: one rectangle per value (sorted largest
/// first by the caller), filling `area` with aspect ratios near 1.
pub fn squarify(values: &[f64], area: Rect) -> Vec<Rect> {
    let total: f64 = values.iter().sum();
    let mut out = vec![
        Rect {
            x: area.x,
            y: area.y,
            w: 0.0,
            h: 0.0
        };
        values.len()
    ];
    if total <= 0.0 || area.w <= 0.0 || area.h <= 0.0 {
        return out;
    }
    let scale = area.w * area.h / total;
    let v: Vec<f64> = values.iter().map(|x| x * scale).collect();
    let mut r = area;
    let mut i = 0;
    let worst = |row: &[f64], side: f64| -> f64 {
        let sum: f64 = row.iter().sum();
        let max = row.iter().cloned().fold(0.0, f64::max);
        let min = row.iter().cloned().fold(f64::INFINITY, f64::min);
        if sum <= 0.0 || min <= 0.0 {
            return f64::INFINITY;
        }
        let s2 = side * side;
        (s2 * max / (sum * sum)).max(sum * sum / (s2 * min))
    };
    while i < v.len() {
        let side = r.w.min(r.h);
        let mut j = i + 1;
        while j < v.len() && worst(&v[i..=j], side) <= worst(&v[i..j], side) {
            j += 1;
        }
        let row = &v[i..j];
        let sum: f64 = row.iter().sum();
        if r.w >= r.h {
            let cw = if r.h > 0.0 { sum / r.h } else { 0.0 };
            let mut y = r.y;
            for (k, val) in row.iter().enumerate() {
                let h = if cw > 0.0 { val / cw } else { 0.0 };
                out[i + k] = Rect {
                    x: r.x,
                    y,
                    w: cw,
                    h,
                };
                y += h;
            }
            r.x += cw;
            r.w -= cw;
        } else {
            let rh = if r.w > 0.0 { sum / r.w } else { 0.0 };
            let mut x = r.x;
            for (k, val) in row.iter().enumerate() {
                let w = if rh > 0.0 { val / rh } else { 0.0 };
                out[i + k] = Rect {
                    x,
                    y: r.y,
                    w,
                    h: rh,
                };
                x += w;
            }
            r.y += rh;
            r.h -= rh;
        }
        i = j;
    }
    out
}

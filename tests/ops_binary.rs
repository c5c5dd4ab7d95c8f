mod common;
use common::*;
use webreward::{ops, Device, Tensor};

#[test]
fn add_and_mul_match_cpu_on_odd_shapes() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(1);
    for &(rows, cols) in &[(1, 1), (3, 67), (5, 64), (2, 1000)] {
        let a = rng.vec(rows * cols, -2.0, 2.0);
        for b_shape in [vec![rows, cols], vec![cols]] {
            let b = rng.vec(b_shape.iter().product(), -2.0, 2.0);
            for (name, f) in [("add", ops::add as fn(&Tensor, &Tensor) -> _), ("mul", ops::mul)] {
                let run = |d: &Device| {
                    let ta = Tensor::from_f32(d, &[rows, cols], &a).unwrap();
                    let tb = Tensor::from_f32(d, &b_shape, &b).unwrap();
                    block_on(f(&ta, &tb).unwrap().to_vec_f32()).unwrap()
                };
                all_close(name, &run(&gpu), &run(&Device::Cpu), 1e-6, 1e-6);
            }
        }
    }
}

#[test]
fn bad_shapes_are_typed_errors_and_runtime_survives() {
    for d in [Some(Device::Cpu), gpu()].into_iter().flatten() {
        let a = Tensor::from_f32(&d, &[2, 3], &[1.0; 6]).unwrap();
        let b = Tensor::from_f32(&d, &[4], &[1.0; 4]).unwrap();
        let e = ops::add(&a, &b).unwrap_err();
        assert_eq!(e.code(), "SHAPE_MISMATCH", "{e}");
        assert_eq!(Tensor::from_f32(&d, &[0, 3], &[]).unwrap_err().code(), "EMPTY_INPUT");
        assert_eq!(Tensor::from_f32(&d, &[2, 2], &[1.0; 3]).unwrap_err().code(), "SHAPE_MISMATCH");
        let ok = block_on(ops::add(&a, &a).unwrap().to_vec_f32()).unwrap();
        assert_eq!(ok, vec![2.0; 6]);
    }
}

/// A pooled input freed while a recorded dispatch still reads it, then reused by an upload in the same step,
/// must not change that dispatch's result.
#[test]
fn upload_into_reused_buffer_is_ordered_after_recorded_readers() {
    let Some(gpu) = gpu() else { return };
    let a = Tensor::from_f32(&gpu, &[64], &[1.0; 64]).unwrap();
    let b = Tensor::from_f32(&gpu, &[64], &[2.0; 64]).unwrap();
    let sum = ops::add(&a, &b).unwrap();
    drop(a);
    let reused = Tensor::from_f32(&gpu, &[64], &[100.0; 64]).unwrap();
    assert_eq!(block_on(sum.to_vec_f32()).unwrap(), vec![3.0; 64]);
    assert_eq!(block_on(reused.to_vec_f32()).unwrap(), vec![100.0; 64]);
}

"""The bottom layer: what every other layer (app -> engine -> export -> models -> common) may
import. It holds no product logic, only the few conventions all of them share: the errors a
user can cause, the one way to write a file atomically, the one way to read a WxH size."""

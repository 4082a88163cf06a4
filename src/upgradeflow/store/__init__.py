"""Object storage, versioned galleries of Parquet shards, and atomic pointers."""
